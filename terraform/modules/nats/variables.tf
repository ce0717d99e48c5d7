variable "namespace" {
  description = "Namespace NATS runs in; created by the module."
  type        = string
  default     = "nats"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", var.namespace))
    error_message = "namespace must be a DNS-1123 label."
  }
}

variable "release_name" {
  description = "Helm release name; also the Service name clients connect to."
  type        = string
  default     = "nats"
}

variable "chart_version" {
  description = "Version of the nats Helm chart."
  type        = string
  default     = "1.2.6"
}

variable "replicas" {
  description = "NATS servers in the cluster; JetStream needs an odd number of at least three for quorum."
  type        = number
  default     = 3

  validation {
    condition     = var.replicas >= 3 && var.replicas % 2 == 1
    error_message = "replicas must be an odd number of at least 3."
  }
}

variable "storage_size" {
  description = "Size of each server's JetStream file store volume."
  type        = string
  default     = "20Gi"

  validation {
    condition     = can(regex("^[0-9]+(Mi|Gi|Ti)$", var.storage_size))
    error_message = "storage_size must be a Kubernetes quantity such as 20Gi."
  }
}

variable "kms_key_arn" {
  description = "KMS key the EBS CSI driver encrypts JetStream volumes with."
  type        = string
}

variable "stream" {
  description = "The JetStream stream the platform publishes to."
  type = object({
    name     = string
    subjects = list(string)
    replicas = optional(number, 3)
    max_age  = optional(string, "168h")
  })
  default = {
    name     = "ARRAKIS"
    subjects = ["arrakis.>"]
  }

  validation {
    condition     = can(regex("^[A-Z][A-Z0-9_]*$", var.stream.name)) && length(var.stream.subjects) > 0
    error_message = "stream.name must be upper case and stream.subjects must not be empty."
  }
}

variable "nats_box_image" {
  description = "nats-box image (with tag) that runs the stream bootstrap job."
  type        = string
  default     = "natsio/nats-box:0.14.5"
}

variable "tags" {
  description = "Tags, applied to Kubernetes objects as labels where the key is a valid label key."
  type        = map(string)
  default     = {}
}
