variable "domain_name" {
  description = "Public zone to create (for example `arrakis.example.com`)."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,}$", var.domain_name))
    error_message = "domain_name must be a lowercase DNS name such as arrakis.example.com."
  }
}

variable "api_record_name" {
  description = "Label of the API record inside the zone."
  type        = string
  default     = "api"
}

variable "primary_endpoint" {
  description = "Host name of the primary region's load balancer."
  type        = string
}

variable "secondary_endpoint" {
  description = "Host name to fail over to (DR region load balancer or a static maintenance site)."
  type        = string
}

variable "health_check_path" {
  description = "Path the Route 53 health checks request; the services' readiness endpoint."
  type        = string
  default     = "/health/ready"

  validation {
    condition     = startswith(var.health_check_path, "/")
    error_message = "health_check_path must start with '/'."
  }
}

variable "record_ttl" {
  description = "TTL of the failover records in seconds; short so that failover takes effect quickly."
  type        = number
  default     = 60

  validation {
    condition     = var.record_ttl >= 10 && var.record_ttl <= 300
    error_message = "record_ttl must be 10 to 300 seconds."
  }
}

variable "tags" {
  description = "Tags merged into every taggable resource."
  type        = map(string)
  default     = {}
}
