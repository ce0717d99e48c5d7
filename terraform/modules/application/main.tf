locals {
  labels = merge(
    { for key, value in var.tags : lower(key) => value if can(regex("^[A-Za-z0-9][-A-Za-z0-9_.]{0,62}$", key)) },
    { "app.kubernetes.io/part-of" = "arrakis", "app.kubernetes.io/managed-by" = "terraform" },
  )
  selector = { for name, _ in var.services : name => { "app.kubernetes.io/name" = name } }
  # Plain settings every service reads; secrets come from each service's own Kubernetes secret.
  common_env = merge(
    { ARRAKIS_NATS_URL = var.nats_url, ARRAKIS_ENVIRONMENT = var.environment, ARRAKIS_PORT = tostring(var.container_port) },
    var.otlp_endpoint == "" ? {} : { OTEL_EXPORTER_OTLP_ENDPOINT = var.otlp_endpoint },
  )
  secret_keys = {
    for name, service in var.services : name => concat(
      [{ env = "ARRAKIS_DATABASE_URL", key = "database-url" }],
      service.uses_redis ? [{ env = "ARRAKIS_REDIS_URL", key = "redis-url" }] : [],
    )
  }
}

resource "kubernetes_namespace_v1" "this" {
  metadata {
    name = var.namespace
    labels = merge(local.labels, {
      "pod-security.kubernetes.io/enforce" = "restricted"
      "pod-security.kubernetes.io/warn"    = "restricted"
    })
  }
}

resource "kubernetes_service_account_v1" "this" {
  for_each = var.services

  metadata {
    name        = each.key
    namespace   = kubernetes_namespace_v1.this.metadata[0].name
    labels      = merge(local.labels, local.selector[each.key])
    annotations = { "eks.amazonaws.com/role-arn" = var.service_role_arns[each.key] }
  }

  automount_service_account_token = true
}

resource "kubernetes_secret_v1" "this" {
  for_each = var.services

  metadata {
    name      = "${each.key}-settings"
    namespace = kubernetes_namespace_v1.this.metadata[0].name
    labels    = merge(local.labels, local.selector[each.key])
  }

  data = merge(
    { database-url = var.database_urls[each.key] },
    each.value.uses_redis ? { redis-url = var.redis_url } : {},
  )
}

resource "kubernetes_deployment_v1" "this" {
  #checkov:skip=CKV_K8S_14:Images are interpolated from variables; the services validation rejects untagged and latest images.
  #checkov:skip=CKV_K8S_43:Images are pinned by an immutable release tag (validated); digest pinning would need a digest per service in tfvars.
  for_each = var.services

  metadata {
    name      = each.key
    namespace = kubernetes_namespace_v1.this.metadata[0].name
    labels    = merge(local.labels, local.selector[each.key])
  }

  spec {
    replicas = each.value.min_replicas

    selector {
      match_labels = local.selector[each.key]
    }

    strategy {
      type = "RollingUpdate"
      rolling_update {
        max_surge       = "25%"
        max_unavailable = 0
      }
    }

    template {
      metadata {
        labels = merge(local.labels, local.selector[each.key])
        annotations = {
          "prometheus.io/scrape" = "true"
          "prometheus.io/port"   = tostring(var.container_port)
          "prometheus.io/path"   = "/metrics"
        }
      }

      spec {
        service_account_name             = kubernetes_service_account_v1.this[each.key].metadata[0].name
        termination_grace_period_seconds = 30

        security_context {
          run_as_non_root = true
          run_as_user     = 10001
          run_as_group    = 10001
          fs_group        = 10001
          seccomp_profile {
            type = "RuntimeDefault"
          }
        }

        topology_spread_constraint {
          max_skew           = 1
          topology_key       = "topology.kubernetes.io/zone"
          when_unsatisfiable = "ScheduleAnyway"
          label_selector {
            match_labels = local.selector[each.key]
          }
        }

        container {
          name              = each.key
          image             = each.value.image
          image_pull_policy = "Always"

          port {
            name           = "http"
            container_port = var.container_port
            protocol       = "TCP"
          }

          dynamic "env" {
            for_each = merge(local.common_env, { ARRAKIS_SERVICE_NAME = each.key }, each.value.env)
            content {
              name  = env.key
              value = env.value
            }
          }

          dynamic "env" {
            for_each = local.secret_keys[each.key]
            iterator = secret
            content {
              name = secret.value.env
              value_from {
                secret_key_ref {
                  name = kubernetes_secret_v1.this[each.key].metadata[0].name
                  key  = secret.value.key
                }
              }
            }
          }

          resources {
            requests = {
              cpu    = each.value.cpu_request
              memory = each.value.memory_request
            }
            limits = {
              cpu    = each.value.cpu_limit
              memory = each.value.memory_limit
            }
          }

          liveness_probe {
            http_get {
              path = "/health/live"
              port = "http"
            }
            initial_delay_seconds = 10
            period_seconds        = 10
            failure_threshold     = 3
          }

          readiness_probe {
            http_get {
              path = "/health/ready"
              port = "http"
            }
            period_seconds    = 5
            failure_threshold = 3
          }

          security_context {
            allow_privilege_escalation = false
            read_only_root_filesystem  = true
            run_as_non_root            = true
            capabilities {
              drop = ["ALL"]
            }
          }

          volume_mount {
            name       = "tmp"
            mount_path = "/tmp"
          }
        }

        volume {
          name = "tmp"
          empty_dir {
            size_limit = "64Mi"
          }
        }
      }
    }
  }

  # The autoscaler owns the replica count after creation.
  lifecycle {
    ignore_changes = [spec[0].replicas]
  }
}

resource "kubernetes_service_v1" "this" {
  for_each = var.services

  metadata {
    name      = each.key
    namespace = kubernetes_namespace_v1.this.metadata[0].name
    labels    = merge(local.labels, local.selector[each.key])
  }

  spec {
    type     = "ClusterIP"
    selector = local.selector[each.key]

    port {
      name        = "http"
      port        = 80
      target_port = "http"
      protocol    = "TCP"
    }
  }
}

resource "kubernetes_horizontal_pod_autoscaler_v2" "this" {
  for_each = var.services

  metadata {
    name      = each.key
    namespace = kubernetes_namespace_v1.this.metadata[0].name
    labels    = merge(local.labels, local.selector[each.key])
  }

  spec {
    min_replicas = each.value.min_replicas
    max_replicas = each.value.max_replicas

    scale_target_ref {
      api_version = "apps/v1"
      kind        = "Deployment"
      name        = kubernetes_deployment_v1.this[each.key].metadata[0].name
    }

    metric {
      type = "Resource"
      resource {
        name = "cpu"
        target {
          type                = "Utilization"
          average_utilization = each.value.target_cpu
        }
      }
    }
  }
}

resource "kubernetes_pod_disruption_budget_v1" "this" {
  for_each = var.services

  metadata {
    name      = each.key
    namespace = kubernetes_namespace_v1.this.metadata[0].name
    labels    = merge(local.labels, local.selector[each.key])
  }

  spec {
    min_available = 1

    selector {
      match_labels = local.selector[each.key]
    }
  }
}
