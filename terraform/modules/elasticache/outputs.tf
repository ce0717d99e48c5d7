output "replication_group_id" {
  description = "ID of the replication group."
  value       = aws_elasticache_replication_group.this.id
}

output "replication_group_arn" {
  description = "ARN of the replication group."
  value       = aws_elasticache_replication_group.this.arn
}

output "primary_endpoint_address" {
  description = "Primary endpoint (follows failover)."
  value       = aws_elasticache_replication_group.this.primary_endpoint_address
}

output "reader_endpoint_address" {
  description = "Reader endpoint spread over the replicas."
  value       = aws_elasticache_replication_group.this.reader_endpoint_address
}

output "port" {
  description = "Redis port."
  value       = local.port
}

output "security_group_id" {
  description = "Security group of the cache."
  value       = aws_security_group.this.id
}

output "auth_secret_arn" {
  description = "Secrets Manager secret with the auth token and URL (read by user-service only)."
  value       = aws_secretsmanager_secret.auth.arn
}

output "kms_key_arn" {
  description = "KMS key of the cache data and its secret."
  value       = module.kms.key_arn
}

output "redis_url" {
  description = "TLS connection URL with the auth token (the ARRAKIS_REDIS_URL value)."
  value       = jsondecode(aws_secretsmanager_secret_version.auth.secret_string).url
  sensitive   = true
}
