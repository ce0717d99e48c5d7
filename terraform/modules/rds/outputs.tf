output "db_instance_identifier" {
  description = "Identifier of the RDS instance."
  value       = aws_db_instance.this.identifier
}

output "db_instance_arn" {
  description = "ARN of the RDS instance (the backup plan selects it)."
  value       = aws_db_instance.this.arn
}

output "db_instance_address" {
  description = "Host name of the instance."
  value       = aws_db_instance.this.address
}

output "db_instance_port" {
  description = "PostgreSQL port."
  value       = aws_db_instance.this.port
}

output "master_user_secret_arn" {
  description = "Secrets Manager secret of the master user, managed and rotated by RDS."
  value       = aws_db_instance.this.master_user_secret[0].secret_arn
}

output "security_group_id" {
  description = "Security group of the instance."
  value       = aws_security_group.this.id
}

output "kms_key_arn" {
  description = "KMS key encrypting storage and the per-service secrets (services need kms:Decrypt on it)."
  value       = module.kms.key_arn
}

output "service_databases" {
  description = "Database and role name of each service."
  value       = local.databases
}

output "service_secret_arns" {
  description = "Secrets Manager secret ARN holding each service's database credentials and URL."
  value       = { for service, secret in aws_secretsmanager_secret.service : service => secret.arn }
}

output "service_database_urls" {
  description = "SQLAlchemy URL of each service's database (the ARRAKIS_DATABASE_URL value)."
  value       = { for service, settings in local.databases : service => jsondecode(aws_secretsmanager_secret_version.service[service].secret_string).url }
  sensitive   = true
}
