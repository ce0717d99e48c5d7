variable "alias" {
  description = "Alias of the key without the `alias/` prefix (for example `rds/arrakis-production`)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9/_-]+$", var.alias)) && !startswith(var.alias, "aws/")
    error_message = "alias may hold letters, digits, '/', '_' and '-' and may not start with the reserved aws/ prefix."
  }
}

variable "description" {
  description = "What the key encrypts."
  type        = string
}

variable "log_group_arns" {
  description = "CloudWatch log group ARNs (wildcards allowed) whose logs this key may encrypt."
  type        = list(string)
  default     = []
}

variable "service_principals" {
  description = "AWS service principals (for example `cloudtrail.amazonaws.com`) allowed to encrypt and decrypt with the key from this account."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for principal in var.service_principals : endswith(principal, ".amazonaws.com")])
    error_message = "service_principals must be AWS service principals ending in .amazonaws.com."
  }
}

variable "deletion_window_in_days" {
  description = "Waiting period before a scheduled deletion takes effect."
  type        = number
  default     = 30

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30
    error_message = "deletion_window_in_days must be 7 to 30."
  }
}

variable "tags" {
  description = "Tags merged into every taggable resource."
  type        = map(string)
  default     = {}
}
