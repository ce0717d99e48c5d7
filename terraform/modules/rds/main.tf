data "aws_partition" "current" {}

locals {
  port   = 5432
  family = "postgres${split(".", var.engine_version)[0]}"
  # Service names use hyphens; PostgreSQL identifiers get underscores.
  databases = {
    for service, settings in var.services : service => {
      database = coalesce(settings.database, replace(service, "-", "_"))
      username = coalesce(settings.username, replace(service, "-", "_"))
    }
  }
}

################################################################################
# Encryption
################################################################################

module "kms" {
  source = "../kms"

  alias       = "rds/${var.identifier}"
  description = "RDS ${var.identifier}: storage, Performance Insights and per-service secrets"

  tags = var.tags
}

################################################################################
# Network
################################################################################

resource "aws_db_subnet_group" "this" {
  name        = var.identifier
  description = "Database subnets of ${var.identifier}"
  subnet_ids  = var.subnet_ids

  tags = var.tags
}

resource "aws_security_group" "this" {
  name_prefix = "${var.identifier}-"
  description = "PostgreSQL ${var.identifier}: reachable from the EKS nodes only"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = var.identifier })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "postgres" {
  for_each = toset(var.allowed_security_group_ids)

  security_group_id            = aws_security_group.this.id
  referenced_security_group_id = each.value
  ip_protocol                  = "tcp"
  from_port                    = local.port
  to_port                      = local.port
  description                  = "PostgreSQL from ${each.value}"

  tags = var.tags
}

################################################################################
# Parameters: TLS only, useful logging
################################################################################

resource "aws_db_parameter_group" "this" {
  name_prefix = "${var.identifier}-"
  family      = local.family
  description = "PostgreSQL parameters of ${var.identifier}"

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  parameter {
    name  = "log_connections"
    value = "1"
  }

  parameter {
    name  = "log_disconnections"
    value = "1"
  }

  parameter {
    name  = "log_min_duration_statement"
    value = "500"
  }

  parameter {
    name         = "shared_preload_libraries"
    value        = "pg_stat_statements"
    apply_method = "pending-reboot"
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

################################################################################
# Enhanced monitoring
################################################################################

data "aws_iam_policy_document" "monitoring_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "monitoring" {
  name               = "${var.identifier}-rds-monitoring"
  assume_role_policy = data.aws_iam_policy_document.monitoring_assume.json

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "monitoring" {
  role       = aws_iam_role.monitoring.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

################################################################################
# Instance; the master password is managed and rotated by RDS in Secrets Manager
################################################################################

resource "aws_db_instance" "this" {
  identifier     = var.identifier
  engine         = "postgres"
  engine_version = var.engine_version
  instance_class = var.instance_class
  port           = local.port
  db_name        = "postgres"
  username       = "arrakis_admin"

  manage_master_user_password   = true
  master_user_secret_kms_key_id = module.kms.key_arn

  allocated_storage     = var.allocated_storage
  max_allocated_storage = var.max_allocated_storage
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = module.kms.key_arn

  multi_az               = var.multi_az
  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [aws_security_group.this.id]
  parameter_group_name   = aws_db_parameter_group.this.name
  publicly_accessible    = false

  iam_database_authentication_enabled = true
  auto_minor_version_upgrade          = true
  allow_major_version_upgrade         = false

  backup_retention_period   = var.backup_retention_period
  backup_window             = "02:00-03:00"
  maintenance_window        = "sun:03:30-sun:04:30"
  copy_tags_to_snapshot     = true
  delete_automated_backups  = false
  deletion_protection       = var.deletion_protection
  skip_final_snapshot       = false
  final_snapshot_identifier = "${var.identifier}-final"

  monitoring_interval                   = var.monitoring_interval
  monitoring_role_arn                   = aws_iam_role.monitoring.arn
  performance_insights_enabled          = true
  performance_insights_kms_key_id       = module.kms.key_arn
  performance_insights_retention_period = 7
  enabled_cloudwatch_logs_exports       = ["postgresql", "upgrade"]

  tags = merge(var.tags, { Backup = "true" })

  depends_on = [aws_iam_role_policy_attachment.monitoring]
}

################################################################################
# One database per service: credentials in Secrets Manager.
# The databases and roles themselves are created in-cluster by a migration job that reads these secrets,
# because a PostgreSQL provider cannot reach a private instance from where Terraform runs.
################################################################################

resource "random_password" "service" {
  for_each = local.databases

  length           = 40
  special          = true
  override_special = "-_.~"
}

resource "aws_secretsmanager_secret" "service" {
  #checkov:skip=CKV2_AWS_57:Rotation needs a Lambda inside the VPC that also updates the PostgreSQL role; not provided yet.
  for_each = local.databases

  name                    = "${var.identifier}/${each.key}/database"
  description             = "PostgreSQL credentials of ${each.key}"
  kms_key_id              = module.kms.key_arn
  recovery_window_in_days = 30

  tags = merge(var.tags, { Service = each.key })
}

resource "aws_secretsmanager_secret_version" "service" {
  for_each = local.databases

  secret_id = aws_secretsmanager_secret.service[each.key].id
  secret_string = jsonencode({
    engine   = "postgres"
    host     = aws_db_instance.this.address
    port     = local.port
    dbname   = each.value.database
    username = each.value.username
    password = random_password.service[each.key].result
    url      = "postgresql+asyncpg://${each.value.username}:${random_password.service[each.key].result}@${aws_db_instance.this.address}:${local.port}/${each.value.database}?ssl=require"
  })
}
