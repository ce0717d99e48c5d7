output "namespace" {
  description = "Namespace NATS runs in."
  value       = kubernetes_namespace_v1.this.metadata[0].name
}

output "url" {
  description = "Client URL of the NATS cluster (the ARRAKIS_NATS_URL value)."
  value       = local.url
}

output "stream_name" {
  description = "Name of the JetStream stream the platform publishes to."
  value       = var.stream.name
}

output "storage_class_name" {
  description = "Storage class of the JetStream volumes."
  value       = kubernetes_storage_class_v1.jetstream.metadata[0].name
}

output "chart_version" {
  description = "Deployed nats chart version."
  value       = helm_release.nats.version
}
