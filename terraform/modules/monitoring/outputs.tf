output "namespace" {
  description = "Namespace of the monitoring stack."
  value       = kubernetes_namespace_v1.this.metadata[0].name
}

output "alerts_topic_arn" {
  description = "SNS topic Alertmanager and CloudWatch alarms publish to."
  value       = aws_sns_topic.alerts.arn
}

output "alertmanager_role_arn" {
  description = "IRSA role of Alertmanager."
  value       = aws_iam_role.alertmanager.arn
}

output "otlp_endpoint" {
  description = "OTLP/gRPC endpoint of the Jaeger collector, for OTEL_EXPORTER_OTLP_ENDPOINT."
  value       = "http://jaeger-collector.${kubernetes_namespace_v1.this.metadata[0].name}.svc.cluster.local:4317"
}

output "grafana_admin_secret" {
  description = "Kubernetes secret (namespace/name) holding the Grafana admin credentials."
  value       = "${kubernetes_namespace_v1.this.metadata[0].name}/${kubernetes_secret_v1.grafana_admin.metadata[0].name}"
}

output "prometheus_rule_files" {
  description = "Generated rule files deployed as PrometheusRules (one per service)."
  value       = sort(keys(local.prometheus_rules))
}

output "dashboards" {
  description = "Generated Grafana dashboards deployed as sidecar ConfigMaps."
  value       = sort([for name in local.dashboard_files : trimsuffix(name, ".json")])
}
