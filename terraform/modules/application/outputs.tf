output "namespace" {
  description = "Namespace the services run in."
  value       = kubernetes_namespace_v1.this.metadata[0].name
}

output "service_urls" {
  description = "In-cluster base URL of each service."
  value       = { for name, service in kubernetes_service_v1.this : name => "http://${service.metadata[0].name}.${var.namespace}.svc.cluster.local" }
}

output "service_accounts" {
  description = "Service account name of each service."
  value       = { for name, account in kubernetes_service_account_v1.this : name => account.metadata[0].name }
}

output "deployment_names" {
  description = "Deployment name of each service."
  value       = { for name, deployment in kubernetes_deployment_v1.this : name => deployment.metadata[0].name }
}
