output "vault_arn" {
  description = "ARN of the primary backup vault."
  value       = aws_backup_vault.this.arn
}

output "dr_vault_arn" {
  description = "ARN of the vault in the DR region that every rule copies to."
  value       = aws_backup_vault.dr.arn
}

output "plan_id" {
  description = "ID of the backup plan."
  value       = aws_backup_plan.this.id
}

output "role_arn" {
  description = "IAM role AWS Backup uses."
  value       = aws_iam_role.this.arn
}
