variable "environment" {
  description = "Deployment environment, passed to the services as ARRAKIS_ENVIRONMENT."
  type        = string

  validation {
    condition     = contains(["staging", "production"], var.environment)
    error_message = "environment must be staging or production."
  }
}

variable "namespace" {
  description = "Namespace the services run in; created by the module."
  type        = string
  default     = "arrakis"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", var.namespace))
    error_message = "namespace must be a DNS-1123 label."
  }
}

variable "services" {
  description = "The services to run, by name. Images must carry an immutable tag or digest."
  type = map(object({
    image          = string
    min_replicas   = optional(number, 2)
    max_replicas   = optional(number, 6)
    cpu_request    = optional(string, "250m")
    memory_request = optional(string, "256Mi")
    cpu_limit      = optional(string, "1")
    memory_limit   = optional(string, "512Mi")
    target_cpu     = optional(number, 70)
    uses_redis     = optional(bool, false)
    env            = optional(map(string), {})
  }))

  validation {
    condition     = alltrue([for service in values(var.services) : !endswith(service.image, ":latest") && can(regex("[:@]", service.image))])
    error_message = "Every image needs an explicit tag or digest other than latest."
  }

  validation {
    condition     = alltrue([for service in values(var.services) : service.min_replicas >= 2 && service.min_replicas <= service.max_replicas])
    error_message = "min_replicas must be at least 2 (the disruption budget keeps one up) and at most max_replicas."
  }
}

variable "service_role_arns" {
  description = "IRSA role ARN of each service, annotated on its service account."
  type        = map(string)
}

variable "database_urls" {
  description = "ARRAKIS_DATABASE_URL of each service (its own database)."
  type        = map(string)
  sensitive   = true
}

variable "redis_url" {
  description = "ARRAKIS_REDIS_URL, given only to services with uses_redis."
  type        = string
  sensitive   = true
}

variable "nats_url" {
  description = "ARRAKIS_NATS_URL of the JetStream cluster."
  type        = string

  validation {
    condition     = startswith(var.nats_url, "nats://") || startswith(var.nats_url, "tls://")
    error_message = "nats_url must use the nats:// or tls:// scheme."
  }
}

variable "otlp_endpoint" {
  description = "OTLP endpoint the services export traces to."
  type        = string
  default     = ""
}

variable "container_port" {
  description = "Port every service listens on inside its container."
  type        = number
  default     = 8000
}

variable "tags" {
  description = "Tags, applied to Kubernetes objects as labels where the key is a valid label key."
  type        = map(string)
  default     = {}
}
