variable "name" {
  description = "Name prefix of the vaults, plan and role."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,38}[a-z0-9]$", var.name))
    error_message = "name must be 3-40 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "selection_tag" {
  description = "Resources carrying this tag key with value `true` are backed up (the RDS instance sets it)."
  type        = string
  default     = "Backup"
}

variable "schedule" {
  description = "Cron expression of the daily backup."
  type        = string
  default     = "cron(0 3 * * ? *)"

  validation {
    condition     = can(regex("^cron\\(.+\\)$", var.schedule))
    error_message = "schedule must be an AWS cron expression such as cron(0 3 * * ? *)."
  }
}

variable "daily_retention_days" {
  description = "Days to keep daily recovery points, in this region and in the DR copy."
  type        = number
  default     = 35

  validation {
    condition     = var.daily_retention_days >= 7
    error_message = "Keep daily recovery points at least 7 days."
  }
}

variable "monthly_retention_days" {
  description = "Days to keep monthly recovery points (moved to cold storage after 30 days)."
  type        = number
  default     = 365

  validation {
    condition     = var.monthly_retention_days >= 120
    error_message = "Monthly points go to cold storage after 30 days and must stay there at least 90 more."
  }
}

variable "tags" {
  description = "Tags merged into every taggable resource."
  type        = map(string)
  default     = {}
}
