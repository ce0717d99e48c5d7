data "aws_partition" "current" {}

locals {
  rules = {
    daily = {
      schedule       = var.schedule
      delete_after   = var.daily_retention_days
      cold_storage   = null
      copy_to_region = true
    }
    monthly = {
      schedule       = "cron(0 4 1 * ? *)"
      delete_after   = var.monthly_retention_days
      cold_storage   = 30
      copy_to_region = true
    }
  }
}

################################################################################
# Vaults: one here, one in the DR region (through the aws.dr provider)
################################################################################

module "kms" {
  source = "../kms"

  alias       = "${var.name}/backup"
  description = "${var.name}: AWS Backup vault"

  tags = var.tags
}

module "dr_kms" {
  source = "../kms"
  providers = {
    aws = aws.dr
  }

  alias       = "${var.name}/backup-dr"
  description = "${var.name}: AWS Backup vault in the DR region"

  tags = var.tags
}

resource "aws_backup_vault" "this" {
  name        = var.name
  kms_key_arn = module.kms.key_arn

  tags = var.tags
}

resource "aws_backup_vault" "dr" {
  provider = aws.dr

  name        = "${var.name}-dr"
  kms_key_arn = module.dr_kms.key_arn

  tags = var.tags
}

################################################################################
# Plan: daily and monthly rules, each copied to the DR vault
################################################################################

resource "aws_backup_plan" "this" {
  name = var.name

  dynamic "rule" {
    for_each = local.rules
    content {
      rule_name         = rule.key
      target_vault_name = aws_backup_vault.this.name
      schedule          = rule.value.schedule
      start_window      = 60
      completion_window = 360

      lifecycle {
        delete_after       = rule.value.delete_after
        cold_storage_after = rule.value.cold_storage
      }

      dynamic "copy_action" {
        for_each = rule.value.copy_to_region ? [aws_backup_vault.dr.arn] : []
        content {
          destination_vault_arn = copy_action.value

          lifecycle {
            delete_after       = rule.value.delete_after
            cold_storage_after = rule.value.cold_storage
          }
        }
      }

      recovery_point_tags = merge(var.tags, { BackupRule = rule.key })
    }
  }

  tags = var.tags
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["backup.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = "${var.name}-backup"
  assume_role_policy = data.aws_iam_policy_document.assume.json

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "this" {
  for_each = toset([
    "service-role/AWSBackupServiceRolePolicyForBackup",
    "service-role/AWSBackupServiceRolePolicyForRestores",
  ])

  role       = aws_iam_role.this.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/${each.value}"
}

resource "aws_backup_selection" "this" {
  name         = "${var.name}-tagged"
  plan_id      = aws_backup_plan.this.id
  iam_role_arn = aws_iam_role.this.arn

  selection_tag {
    type  = "STRINGEQUALS"
    key   = var.selection_tag
    value = "true"
  }
}
