output "service_urls" {
  description = "In-cluster base URL of each service."
  value       = module.platform.service_urls
}

output "api_fqdn" {
  description = "Failover DNS name of the API."
  value       = module.platform.api_fqdn
}
