locals {
  labels = merge(
    { for key, value in var.tags : lower(key) => value if can(regex("^[A-Za-z0-9][-A-Za-z0-9_.]{0,62}$", key)) },
    { "app.kubernetes.io/part-of" = "arrakis", "app.kubernetes.io/managed-by" = "terraform" },
  )
  url = "nats://${var.release_name}.${var.namespace}.svc.cluster.local:4222"
}

resource "kubernetes_namespace_v1" "this" {
  metadata {
    name   = var.namespace
    labels = merge(local.labels, { "pod-security.kubernetes.io/enforce" = "restricted" })
  }
}

# gp3 volumes encrypted with the platform key; Retain so that a deleted PVC does not lose the stream.
resource "kubernetes_storage_class_v1" "jetstream" {
  metadata {
    name   = "${var.release_name}-jetstream"
    labels = local.labels
  }

  storage_provisioner    = "ebs.csi.aws.com"
  reclaim_policy         = "Retain"
  volume_binding_mode    = "WaitForFirstConsumer"
  allow_volume_expansion = true

  parameters = {
    type      = "gp3"
    encrypted = "true"
    kmsKeyId  = var.kms_key_arn
  }
}

resource "helm_release" "nats" {
  name       = var.release_name
  namespace  = kubernetes_namespace_v1.this.metadata[0].name
  repository = "https://nats-io.github.io/k8s/helm/charts/"
  chart      = "nats"
  version    = var.chart_version
  atomic     = true
  timeout    = 600

  values = [yamlencode({
    config = {
      cluster = {
        enabled  = true
        replicas = var.replicas
      }
      jetstream = {
        enabled = true
        fileStore = {
          enabled = true
          pvc = {
            enabled          = true
            size             = var.storage_size
            storageClassName = kubernetes_storage_class_v1.jetstream.metadata[0].name
          }
        }
        memoryStore = {
          enabled = false
        }
      }
      monitor = {
        enabled = true
      }
    }
    podTemplate = {
      topologySpreadConstraints = {
        "kubernetes.io/hostname" = {
          maxSkew           = 1
          whenUnsatisfiable = "DoNotSchedule"
        }
        "topology.kubernetes.io/zone" = {
          maxSkew           = 1
          whenUnsatisfiable = "ScheduleAnyway"
        }
      }
    }
    promExporter = {
      enabled = true
      podMonitor = {
        enabled = true
      }
    }
    podDisruptionBudget = {
      enabled = true
    }
    natsBox = {
      enabled = false
    }
  })]
}

# Creates the platform stream once the servers are up; `nats stream add` with --defaults is idempotent
# for an unchanged configuration, and the services only ever bind to the stream.
resource "kubernetes_job_v1" "stream" {
  metadata {
    name      = "${var.release_name}-stream-${lower(var.stream.name)}"
    namespace = kubernetes_namespace_v1.this.metadata[0].name
    labels    = local.labels
  }

  spec {
    backoff_limit = 6

    template {
      metadata {
        labels = local.labels
      }

      spec {
        restart_policy                   = "OnFailure"
        automount_service_account_token  = false
        termination_grace_period_seconds = 10

        security_context {
          run_as_non_root = true
          run_as_user     = 65534
          seccomp_profile {
            type = "RuntimeDefault"
          }
        }

        container {
          name              = "create-stream"
          image             = var.nats_box_image
          image_pull_policy = "Always"
          command = [
            "nats", "--server", local.url, "stream", "add", var.stream.name,
            "--subjects", join(",", var.stream.subjects), "--storage", "file",
            "--replicas", tostring(var.stream.replicas), "--max-age", var.stream.max_age,
            "--retention", "limits", "--discard", "old", "--dupe-window", "2m", "--defaults",
          ]

          resources {
            requests = {
              cpu    = "10m"
              memory = "32Mi"
            }
            limits = {
              cpu    = "100m"
              memory = "64Mi"
            }
          }

          security_context {
            allow_privilege_escalation = false
            read_only_root_filesystem  = true
            capabilities {
              drop = ["ALL"]
            }
          }
        }
      }
    }
  }

  wait_for_completion = true

  timeouts {
    create = "10m"
  }

  depends_on = [helm_release.nats]
}
