output "service_role_arns" {
  description = "IRSA role ARN of each service, for the `eks.amazonaws.com/role-arn` annotation."
  value       = { for service, role in aws_iam_role.service : service => role.arn }
}

output "audit_kms_key_arn" {
  description = "KMS key of CloudTrail, Config and their buckets."
  value       = module.audit_kms.key_arn
}

output "secrets_kms_key_arn" {
  description = "KMS key of application secrets and the model bucket."
  value       = module.secrets_kms.key_arn
}

output "jwt_signing_key_secret_arn" {
  description = "Secrets Manager secret holding user-service's RS256 signing key."
  value       = aws_secretsmanager_secret.jwt_signing_key.arn
}

output "jwt_public_key_pem" {
  description = "Public half of the JWT signing key, for verifiers outside the cluster."
  value       = tls_private_key.jwt.public_key_pem
}

output "bucket_names" {
  description = "Names of the CloudTrail, Config, model and access-log buckets."
  value       = merge({ for purpose, bucket in aws_s3_bucket.this : purpose => bucket.id }, { access_logs = aws_s3_bucket.access_logs.id })
}

output "model_bucket_arn" {
  description = "ARN of the bucket embedding-service reads model files from."
  value       = aws_s3_bucket.this["models"].arn
}

output "cloudtrail_arn" {
  description = "ARN of the multi-region trail."
  value       = aws_cloudtrail.this.arn
}

output "guardduty_detector_id" {
  description = "ID of the GuardDuty detector, or null when disabled."
  value       = try(aws_guardduty_detector.this[0].id, null)
}

output "config_recorder_name" {
  description = "Name of the AWS Config recorder."
  value       = aws_config_configuration_recorder.this.name
}
