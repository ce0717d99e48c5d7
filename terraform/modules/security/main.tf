data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  trail_name = "${var.name}-trail"
  trail_arn  = "arn:${local.partition}:cloudtrail:${local.region}:${local.account_id}:trail/${local.trail_name}"

  # Buckets encrypted with a KMS key; the access-log bucket is separate because S3 server access logging
  # cannot write to SSE-KMS targets.
  buckets = {
    cloudtrail = { kms_key_arn = module.audit_kms.key_arn, archive = true }
    config     = { kms_key_arn = module.audit_kms.key_arn, archive = true }
    models     = { kms_key_arn = module.secrets_kms.key_arn, archive = false }
  }
  guardduty_features = toset(["S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "EBS_MALWARE_PROTECTION", "RDS_LOGIN_EVENTS"])
}

################################################################################
# KMS keys: one for audit trails, one for application secrets and artefacts
################################################################################

module "audit_kms" {
  source = "../kms"

  alias              = "${var.name}/audit"
  description        = "${var.name}: CloudTrail, AWS Config and their buckets"
  service_principals = ["cloudtrail.amazonaws.com", "config.amazonaws.com"]
  log_group_arns     = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/cloudtrail/${var.name}"]

  tags = var.tags
}

module "secrets_kms" {
  source = "../kms"

  alias       = "${var.name}/secrets"
  description = "${var.name}: application secrets and the model bucket"

  tags = var.tags
}

################################################################################
# JWT signing key of user-service (RS256); other services verify through its JWKS endpoint
################################################################################

resource "tls_private_key" "jwt" {
  algorithm = "RSA"
  rsa_bits  = 3072
}

resource "aws_secretsmanager_secret" "jwt_signing_key" {
  #checkov:skip=CKV2_AWS_57:Signing keys rotate by publishing a second key in the JWKS first; a blind rotation Lambda would log everyone out.
  name                    = "${var.name}/user-service/jwt-signing-key"
  description             = "RS256 private key user-service signs access tokens with"
  kms_key_id              = module.secrets_kms.key_arn
  recovery_window_in_days = 30

  tags = merge(var.tags, { Service = "user-service" })
}

resource "aws_secretsmanager_secret_version" "jwt_signing_key" {
  secret_id     = aws_secretsmanager_secret.jwt_signing_key.id
  secret_string = tls_private_key.jwt.private_key_pem
}

################################################################################
# S3 buckets: CloudTrail, Config and model artefacts, plus the access-log bucket they log to
################################################################################

resource "aws_s3_bucket" "access_logs" {
  #checkov:skip=CKV_AWS_18:This is the access-log target; logging it into itself would loop.
  #checkov:skip=CKV_AWS_144:Access logs are regional evidence; replicating them doubles cost for no recovery value.
  #checkov:skip=CKV_AWS_145:S3 server access logging cannot deliver to SSE-KMS buckets; SSE-S3 is used.
  #checkov:skip=CKV2_AWS_62:Nothing consumes access-log object events.
  bucket = "${var.name}-access-logs-${local.account_id}"

  tags = var.tags
}

resource "aws_s3_bucket_versioning" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "access_logs" {
  bucket                  = aws_s3_bucket.access_logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_lifecycle_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  rule {
    id     = "expire"
    status = "Enabled"

    filter {}

    expiration {
      days = 365
    }

    noncurrent_version_expiration {
      noncurrent_days = 30
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

data "aws_iam_policy_document" "access_logs" {
  statement {
    sid       = "ServerAccessLogs"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.access_logs.arn}/*"]

    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.access_logs.arn, "${aws_s3_bucket.access_logs.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  policy = data.aws_iam_policy_document.access_logs.json
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144:Tagged Backup=true: AWS Backup copies them to the DR vault instead of S3 replication.
  #checkov:skip=CKV2_AWS_62:Nothing consumes object events of audit or model buckets; Config and CloudTrail watch them instead.
  for_each = local.buckets

  bucket = "${var.name}-${each.key}-${local.account_id}"

  tags = merge(var.tags, { Purpose = each.key, Backup = "true" })
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  rule {
    bucket_key_enabled = true

    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = each.value.kms_key_arn
    }
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each = local.buckets

  bucket                  = aws_s3_bucket.this[each.key].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_logging" "this" {
  for_each = local.buckets

  bucket        = aws_s3_bucket.this[each.key].id
  target_bucket = aws_s3_bucket.access_logs.id
  target_prefix = "${each.key}/"
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  rule {
    id     = "retention"
    status = "Enabled"

    filter {}

    dynamic "transition" {
      for_each = each.value.archive ? [90] : []
      content {
        days          = transition.value
        storage_class = "GLACIER"
      }
    }

    dynamic "expiration" {
      for_each = each.value.archive ? [var.audit_log_expiration_days] : []
      content {
        days = expiration.value
      }
    }

    noncurrent_version_expiration {
      noncurrent_days = 90
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

data "aws_iam_policy_document" "bucket" {
  for_each = local.buckets

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.this[each.key].arn, "${aws_s3_bucket.this[each.key].arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  # CloudTrail and Config both check the ACL, then write under AWSLogs/<account>/ as the bucket owner.
  dynamic "statement" {
    for_each = each.key == "models" ? [] : [each.key == "cloudtrail" ? "cloudtrail.amazonaws.com" : "config.amazonaws.com"]
    iterator = service
    content {
      sid       = "ServiceAclCheck"
      actions   = ["s3:GetBucketAcl", "s3:ListBucket"]
      resources = [aws_s3_bucket.this[each.key].arn]

      principals {
        type        = "Service"
        identifiers = [service.value]
      }

      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [local.account_id]
      }
    }
  }

  dynamic "statement" {
    for_each = each.key == "models" ? [] : [each.key == "cloudtrail" ? "cloudtrail.amazonaws.com" : "config.amazonaws.com"]
    iterator = service
    content {
      sid       = "ServiceWrite"
      actions   = ["s3:PutObject"]
      resources = ["${aws_s3_bucket.this[each.key].arn}/AWSLogs/${local.account_id}/*"]

      principals {
        type        = "Service"
        identifiers = [service.value]
      }

      condition {
        test     = "StringEquals"
        variable = "s3:x-amz-acl"
        values   = ["bucket-owner-full-control"]
      }

      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [local.account_id]
      }
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id
  policy = data.aws_iam_policy_document.bucket[each.key].json

  depends_on = [aws_s3_bucket_public_access_block.this]
}

################################################################################
# CloudTrail: every region, validated log files, KMS, copied to CloudWatch Logs
################################################################################

resource "aws_cloudwatch_log_group" "cloudtrail" {
  name              = "/aws/cloudtrail/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = module.audit_kms.key_arn

  tags = var.tags
}

data "aws_iam_policy_document" "cloudtrail_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.trail_arn]
    }
  }
}

data "aws_iam_policy_document" "cloudtrail_logs" {
  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.cloudtrail.arn}:log-stream:*"]
  }
}

resource "aws_iam_role" "cloudtrail" {
  name               = "${var.name}-cloudtrail-logs"
  assume_role_policy = data.aws_iam_policy_document.cloudtrail_assume.json

  tags = var.tags
}

resource "aws_iam_role_policy" "cloudtrail" {
  name   = "write-cloudtrail-logs"
  role   = aws_iam_role.cloudtrail.id
  policy = data.aws_iam_policy_document.cloudtrail_logs.json
}

resource "aws_cloudtrail" "this" {
  #checkov:skip=CKV_AWS_252:Events stream to CloudWatch Logs where alarms belong; an SNS message per log file delivery would be noise.
  name                          = local.trail_name
  s3_bucket_name                = aws_s3_bucket.this["cloudtrail"].id
  kms_key_id                    = module.audit_kms.key_arn
  is_multi_region_trail         = true
  include_global_service_events = true
  enable_log_file_validation    = true
  cloud_watch_logs_group_arn    = "${aws_cloudwatch_log_group.cloudtrail.arn}:*"
  cloud_watch_logs_role_arn     = aws_iam_role.cloudtrail.arn

  event_selector {
    read_write_type           = "All"
    include_management_events = true

    data_resource {
      type   = "AWS::S3::Object"
      values = ["${aws_s3_bucket.this["models"].arn}/"]
    }
  }

  tags = var.tags

  depends_on = [aws_s3_bucket_policy.this]
}

################################################################################
# AWS Config
################################################################################

data "aws_iam_policy_document" "config_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["config.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

data "aws_iam_policy_document" "config_delivery" {
  statement {
    actions   = ["s3:PutObject", "s3:PutObjectAcl"]
    resources = ["${aws_s3_bucket.this["config"].arn}/AWSLogs/${local.account_id}/*"]

    condition {
      test     = "StringLike"
      variable = "s3:x-amz-acl"
      values   = ["bucket-owner-full-control"]
    }
  }

  statement {
    actions   = ["s3:GetBucketAcl"]
    resources = [aws_s3_bucket.this["config"].arn]
  }

  statement {
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [module.audit_kms.key_arn]
  }
}

resource "aws_iam_role" "config" {
  name               = "${var.name}-config"
  assume_role_policy = data.aws_iam_policy_document.config_assume.json

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "config" {
  role       = aws_iam_role.config.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AWS_ConfigRole"
}

resource "aws_iam_role_policy" "config_delivery" {
  name   = "deliver-to-config-bucket"
  role   = aws_iam_role.config.id
  policy = data.aws_iam_policy_document.config_delivery.json
}

resource "aws_config_configuration_recorder" "this" {
  name     = var.name
  role_arn = aws_iam_role.config.arn

  recording_group {
    all_supported                 = true
    include_global_resource_types = true
  }
}

resource "aws_config_delivery_channel" "this" {
  name           = var.name
  s3_bucket_name = aws_s3_bucket.this["config"].id
  s3_kms_key_arn = module.audit_kms.key_arn

  snapshot_delivery_properties {
    delivery_frequency = "TwentyFour_Hours"
  }

  depends_on = [aws_config_configuration_recorder.this, aws_s3_bucket_policy.this]
}

resource "aws_config_configuration_recorder_status" "this" {
  name       = aws_config_configuration_recorder.this.name
  is_enabled = true

  depends_on = [aws_config_delivery_channel.this]
}

################################################################################
# GuardDuty and Security Hub
################################################################################

resource "aws_guardduty_detector" "this" {
  #checkov:skip=CKV2_AWS_3:Organisation-wide enablement belongs to the delegated GuardDuty administrator account, not this workload account.
  count = var.enable_guardduty ? 1 : 0

  enable                       = true
  finding_publishing_frequency = "FIFTEEN_MINUTES"

  tags = var.tags
}

resource "aws_guardduty_detector_feature" "this" {
  for_each = var.enable_guardduty ? local.guardduty_features : toset([])

  detector_id = aws_guardduty_detector.this[0].id
  name        = each.value
  status      = "ENABLED"
}

resource "aws_securityhub_account" "this" {
  count = var.enable_security_hub ? 1 : 0

  enable_default_standards = false
  auto_enable_controls     = true
}

resource "aws_securityhub_standards_subscription" "this" {
  for_each = var.enable_security_hub ? toset(var.securityhub_standards) : toset([])

  standards_arn = "arn:${local.partition}:securityhub:${local.region}::${each.value}"

  depends_on = [aws_securityhub_account.this]
}

################################################################################
# IRSA: one role per service, least privilege
################################################################################

data "aws_iam_policy_document" "service_assume" {
  for_each = var.services

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [var.oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${var.oidc_issuer}:sub"
      values   = ["system:serviceaccount:${var.namespace}:${each.value.service_account}"]
    }

    condition {
      test     = "StringEquals"
      variable = "${var.oidc_issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "service" {
  for_each = var.services

  statement {
    sid     = "ReadOwnSecrets"
    actions = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = concat(
      each.value.secret_arns,
      each.value.read_jwt_signing_key ? [aws_secretsmanager_secret.jwt_signing_key.arn] : [],
    )
  }

  statement {
    sid     = "DecryptOwnSecrets"
    actions = ["kms:Decrypt"]
    resources = distinct(concat(
      each.value.kms_key_arns,
      each.value.read_jwt_signing_key || each.value.read_model_bucket ? [module.secrets_kms.key_arn] : [],
    ))

    condition {
      test     = "StringLike"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${local.region}.amazonaws.com", "s3.${local.region}.amazonaws.com"]
    }
  }

  dynamic "statement" {
    for_each = each.value.read_model_bucket ? [aws_s3_bucket.this["models"].arn] : []
    content {
      sid       = "ListModelBucket"
      actions   = ["s3:ListBucket"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = each.value.read_model_bucket ? [aws_s3_bucket.this["models"].arn] : []
    content {
      sid       = "ReadModelObjects"
      actions   = ["s3:GetObject", "s3:GetObjectVersion"]
      resources = ["${statement.value}/*"]
    }
  }
}

resource "aws_iam_role" "service" {
  for_each = var.services

  name                 = "${var.name}-${each.key}"
  description          = "IRSA role of ${each.key} (service account ${var.namespace}/${each.value.service_account})"
  assume_role_policy   = data.aws_iam_policy_document.service_assume[each.key].json
  max_session_duration = 3600

  tags = merge(var.tags, { Service = each.key })
}

resource "aws_iam_role_policy" "service" {
  for_each = var.services

  name   = "least-privilege"
  role   = aws_iam_role.service[each.key].id
  policy = data.aws_iam_policy_document.service[each.key].json
}
