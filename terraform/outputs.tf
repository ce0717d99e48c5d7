output "vpc_id" {
  description = "ID of the platform VPC."
  value       = module.networking.vpc_id
}

output "nat_public_ips" {
  description = "Egress addresses of the platform (webhook receivers may allow-list them)."
  value       = module.networking.nat_public_ips
}

output "cluster_name" {
  description = "Name of the EKS cluster."
  value       = module.eks.cluster_name
}

output "cluster_endpoint" {
  description = "Kubernetes API endpoint."
  value       = module.eks.cluster_endpoint
}

output "database_address" {
  description = "Host of the PostgreSQL instance."
  value       = module.rds.db_instance_address
}

output "service_database_secret_arns" {
  description = "Secrets Manager secret of each service's database credentials."
  value       = module.rds.service_secret_arns
}

output "redis_primary_endpoint" {
  description = "Primary endpoint of the Redis replication group."
  value       = module.elasticache.primary_endpoint_address
}

output "nats_url" {
  description = "In-cluster NATS URL."
  value       = module.nats.url
}

output "service_role_arns" {
  description = "IRSA role of each service."
  value       = module.security.service_role_arns
}

output "service_urls" {
  description = "In-cluster base URL of each service."
  value       = module.application.service_urls
}

output "alerts_topic_arn" {
  description = "SNS topic receiving alerts."
  value       = module.monitoring.alerts_topic_arn
}

output "backup_vault_arns" {
  description = "Primary and DR backup vaults."
  value       = { primary = module.backup.vault_arn, dr = module.backup.dr_vault_arn }
}

output "api_fqdn" {
  description = "Failover DNS name of the API."
  value       = module.dns.api_fqdn
}

output "certificate_arn" {
  description = "Validated ACM certificate for the ingress."
  value       = module.dns.certificate_arn
}

output "name_servers" {
  description = "Name servers to delegate the environment's domain to."
  value       = module.dns.name_servers
}
