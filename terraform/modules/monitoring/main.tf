data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

locals {
  alertmanager_service_account = "alertmanager"
  labels = merge(
    { for key, value in var.tags : lower(key) => value if can(regex("^[A-Za-z0-9][-A-Za-z0-9_.]{0,62}$", key)) },
    { "app.kubernetes.io/part-of" = "arrakis", "app.kubernetes.io/managed-by" = "terraform" },
  )
  monitoring_dir = var.monitoring_dir != "" ? var.monitoring_dir : "${path.module}/../../../monitoring"
  # Generated rule files, one per service, each a {groups = [...]} document as the chart's rules map expects.
  rule_files = fileset("${local.monitoring_dir}/prometheus/rules", "*.yml")
  prometheus_rules = {
    for name in local.rule_files : trimsuffix(name, ".yml") => yamldecode(file("${local.monitoring_dir}/prometheus/rules/${name}"))
  }
  dashboard_files = fileset("${local.monitoring_dir}/grafana", "*.json")
  volume_claim = {
    spec = {
      storageClassName = var.storage_class_name
      accessModes      = ["ReadWriteOnce"]
      resources        = { requests = { storage = var.prometheus_storage_size } }
    }
  }
}

resource "kubernetes_namespace_v1" "this" {
  metadata {
    name   = var.namespace
    labels = local.labels
  }
}

################################################################################
# Alert topic: KMS-encrypted SNS, published to by Alertmanager through IRSA
################################################################################

module "kms" {
  source = "../kms"

  alias              = "${var.name}/alerts"
  description        = "${var.name}: alert topic"
  service_principals = ["sns.amazonaws.com", "cloudwatch.amazonaws.com"]

  tags = var.tags
}

resource "aws_sns_topic" "alerts" {
  name              = "${var.name}-alerts"
  display_name      = "Arrakis alerts"
  kms_master_key_id = module.kms.key_arn

  tags = var.tags
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.alert_email_addresses)

  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = each.value
}

data "aws_iam_policy_document" "alerts_topic" {
  statement {
    sid       = "CloudWatchAlarms"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_sns_topic_policy" "alerts" {
  arn    = aws_sns_topic.alerts.arn
  policy = data.aws_iam_policy_document.alerts_topic.json
}

data "aws_iam_policy_document" "alertmanager_assume" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [var.oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${var.oidc_issuer}:sub"
      values   = ["system:serviceaccount:${var.namespace}:${local.alertmanager_service_account}"]
    }

    condition {
      test     = "StringEquals"
      variable = "${var.oidc_issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "alertmanager" {
  statement {
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]
  }

  statement {
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [module.kms.key_arn]
  }
}

resource "aws_iam_role" "alertmanager" {
  name               = "${var.name}-alertmanager"
  assume_role_policy = data.aws_iam_policy_document.alertmanager_assume.json

  tags = var.tags
}

resource "aws_iam_role_policy" "alertmanager" {
  name   = "publish-alerts"
  role   = aws_iam_role.alertmanager.id
  policy = data.aws_iam_policy_document.alertmanager.json
}

################################################################################
# Prometheus, Alertmanager and Grafana
################################################################################

resource "random_password" "grafana_admin" {
  length  = 32
  special = false
}

resource "kubernetes_secret_v1" "grafana_admin" {
  metadata {
    name      = "grafana-admin"
    namespace = kubernetes_namespace_v1.this.metadata[0].name
    labels    = local.labels
  }

  data = {
    admin-user     = "admin"
    admin-password = random_password.grafana_admin.result
  }
}

resource "helm_release" "kube_prometheus_stack" {
  name       = "kube-prometheus-stack"
  namespace  = kubernetes_namespace_v1.this.metadata[0].name
  repository = "https://prometheus-community.github.io/helm-charts"
  chart      = "kube-prometheus-stack"
  version    = var.chart_versions.kube_prometheus_stack
  atomic     = true
  timeout    = 900

  values = [yamlencode({
    additionalPrometheusRulesMap = local.prometheus_rules
    prometheus = {
      prometheusSpec = {
        retention                               = var.prometheus_retention
        replicas                                = 2
        serviceMonitorSelectorNilUsesHelmValues = false
        podMonitorSelectorNilUsesHelmValues     = false
        ruleSelectorNilUsesHelmValues           = false
        storageSpec                             = { volumeClaimTemplate = local.volume_claim }
      }
    }
    alertmanager = {
      serviceAccount = {
        name        = local.alertmanager_service_account
        annotations = { "eks.amazonaws.com/role-arn" = aws_iam_role.alertmanager.arn }
      }
      alertmanagerSpec = {
        replicas = 2
        storage  = { volumeClaimTemplate = local.volume_claim }
      }
      config = {
        route = {
          receiver        = "sns"
          group_by        = ["alertname", "service"]
          group_wait      = "30s"
          group_interval  = "5m"
          repeat_interval = "4h"
        }
        receivers = [{
          name = "sns"
          sns_configs = [{
            topic_arn     = aws_sns_topic.alerts.arn
            send_resolved = true
            sigv4         = { region = data.aws_region.current.name }
          }]
        }]
      }
    }
    grafana = {
      sidecar = { dashboards = { enabled = true, label = "grafana_dashboard", labelValue = "1" } }
      admin = {
        existingSecret = kubernetes_secret_v1.grafana_admin.metadata[0].name
        userKey        = "admin-user"
        passwordKey    = "admin-password"
      }
      persistence = {
        enabled          = true
        storageClassName = var.storage_class_name
        size             = "10Gi"
      }
      additionalDataSources = [{
        name   = "Jaeger"
        type   = "jaeger"
        access = "proxy"
        url    = "http://jaeger-query.${var.namespace}.svc.cluster.local:16686"
      }]
    }
  })]
}

# One ConfigMap per generated dashboard; Grafana's sidecar loads every ConfigMap labelled grafana_dashboard=1.
resource "kubernetes_config_map_v1" "dashboards" {
  for_each = local.dashboard_files

  metadata {
    name      = "arrakis-dashboard-${trimsuffix(each.value, ".json")}"
    namespace = kubernetes_namespace_v1.this.metadata[0].name
    labels    = merge(local.labels, { grafana_dashboard = "1" })
  }

  data = {
    (each.value) = file("${local.monitoring_dir}/grafana/${each.value}")
  }
}

################################################################################
# Jaeger: OTLP collector and query UI for the services' OpenTelemetry traces
################################################################################

resource "helm_release" "jaeger" {
  name       = "jaeger"
  namespace  = kubernetes_namespace_v1.this.metadata[0].name
  repository = "https://jaegertracing.github.io/helm-charts"
  chart      = "jaeger"
  version    = var.chart_versions.jaeger
  atomic     = true
  timeout    = 600

  values = [yamlencode({
    provisionDataStore = { cassandra = false }
    allInOne = {
      enabled = true
      extraEnv = [
        { name = "COLLECTOR_OTLP_ENABLED", value = "true" },
      ]
    }
    storage   = { type = "memory" }
    agent     = { enabled = false }
    collector = { enabled = false }
    query     = { enabled = false }
  })]
}
