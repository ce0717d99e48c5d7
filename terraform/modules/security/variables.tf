variable "name" {
  description = "Name prefix of every resource (for example `arrakis-production`)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,38}[a-z0-9]$", var.name))
    error_message = "name must be 3-40 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "oidc_provider_arn" {
  description = "ARN of the EKS cluster's IAM OIDC provider."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/", var.oidc_provider_arn))
    error_message = "oidc_provider_arn must be an IAM OIDC provider ARN."
  }
}

variable "oidc_issuer" {
  description = "OIDC issuer of the cluster without `https://`, the prefix of the IRSA condition keys."
  type        = string

  validation {
    condition     = !startswith(var.oidc_issuer, "https://")
    error_message = "oidc_issuer must not include the https:// scheme."
  }
}

variable "namespace" {
  description = "Kubernetes namespace the services' service accounts live in."
  type        = string
  default     = "arrakis"
}

variable "services" {
  description = <<-EOT
    Per service: its Kubernetes service account, the Secrets Manager secrets it may read (its own database secret
    first), the KMS keys those secrets are encrypted with, and whether it reads the JWT signing key or the model bucket.
  EOT
  type = map(object({
    service_account      = string
    secret_arns          = list(string)
    kms_key_arns         = list(string)
    read_jwt_signing_key = optional(bool, false)
    read_model_bucket    = optional(bool, false)
  }))

  validation {
    condition     = alltrue([for service in values(var.services) : length(service.secret_arns) > 0])
    error_message = "Every service needs at least its own database secret."
  }
}

variable "log_retention_days" {
  description = "Days to keep CloudTrail events in CloudWatch Logs."
  type        = number
  default     = 365

  validation {
    condition     = var.log_retention_days >= 365
    error_message = "CloudTrail logs are audit evidence: keep them at least a year."
  }
}

variable "audit_log_expiration_days" {
  description = "Days after which CloudTrail and Config objects expire from S3 (they move to Glacier after 90)."
  type        = number
  default     = 2555

  validation {
    condition     = var.audit_log_expiration_days > 90
    error_message = "audit_log_expiration_days must exceed the 90 days before the Glacier transition."
  }
}

variable "enable_guardduty" {
  description = "Create the GuardDuty detector (disable where the organisation's delegated admin already manages one)."
  type        = bool
  default     = true
}

variable "enable_security_hub" {
  description = "Enable Security Hub and subscribe to securityhub_standards."
  type        = bool
  default     = true
}

variable "securityhub_standards" {
  description = "Security Hub standards to subscribe to, as ARN suffixes after `arn:<partition>:securityhub:<region>::`."
  type        = list(string)
  default = [
    "standards/aws-foundational-security-best-practices/v/1.0.0",
    "standards/cis-aws-foundations-benchmark/v/3.0.0",
  ]
}

variable "tags" {
  description = "Tags merged into every taggable resource."
  type        = map(string)
  default     = {}
}
