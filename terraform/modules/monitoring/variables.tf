variable "name" {
  description = "Name prefix of the AWS resources (SNS topic, IAM role)."
  type        = string
}

variable "namespace" {
  description = "Namespace of the monitoring stack; created by the module."
  type        = string
  default     = "monitoring"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", var.namespace))
    error_message = "namespace must be a DNS-1123 label."
  }
}

variable "oidc_provider_arn" {
  description = "EKS OIDC provider, trusted by Alertmanager's IRSA role."
  type        = string
}

variable "oidc_issuer" {
  description = "OIDC issuer without `https://`."
  type        = string
}

variable "alert_email_addresses" {
  description = "Addresses subscribed to the alert topic (each must confirm the subscription)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for address in var.alert_email_addresses : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", address))])
    error_message = "alert_email_addresses must be e-mail addresses."
  }
}

variable "chart_versions" {
  description = "Pinned chart versions."
  type = object({
    kube_prometheus_stack = optional(string, "65.5.0")
    jaeger                = optional(string, "3.3.1")
  })
  default = {}
}

variable "prometheus_retention" {
  description = "How long Prometheus keeps samples."
  type        = string
  default     = "15d"

  validation {
    condition     = can(regex("^[0-9]+[hdwy]$", var.prometheus_retention))
    error_message = "prometheus_retention must be a duration such as 15d."
  }
}

variable "prometheus_storage_size" {
  description = "Persistent volume size of each Prometheus replica."
  type        = string
  default     = "50Gi"
}

variable "storage_class_name" {
  description = "Storage class of the Prometheus, Alertmanager and Grafana volumes."
  type        = string
  default     = "gp3"
}

variable "monitoring_dir" {
  description = "Folder of the generated monitoring files (arrakis-docs generate): prometheus/rules/*.yml are loaded as PrometheusRules, grafana/*.json as dashboards. Empty: the repository's monitoring/ folder."
  type        = string
  default     = ""
}

variable "tags" {
  description = "Tags merged into every taggable AWS resource and used as labels on Kubernetes objects."
  type        = map(string)
  default     = {}
}
