variable "region" {
  description = "Primary AWS region of production."
  type        = string
}

variable "dr_region" {
  description = "Region receiving backup copies."
  type        = string
}

variable "azs" {
  description = "Three availability zones of the primary region."
  type        = list(string)
}

variable "operator_cidrs" {
  description = "Operator networks allowed to reach the Kubernetes API."
  type        = list(string)
  default     = []
}

variable "node_groups" {
  description = "EKS managed node groups of production."
  type = map(object({
    instance_types = list(string)
    min_size       = number
    max_size       = number
    desired_size   = number
    disk_size_gb   = optional(number, 100)
  }))
}

variable "image_registry" {
  description = "Registry prefix of the service images."
  type        = string
}

variable "image_tag" {
  description = "Release tag deployed to production."
  type        = string
}

variable "service_overrides" {
  description = "Per-service scaling overrides."
  type = map(object({
    min_replicas = optional(number)
    max_replicas = optional(number)
    cpu_limit    = optional(string)
    memory_limit = optional(string)
  }))
  default = {}
}

variable "domain_name" {
  description = "DNS zone of production."
  type        = string
}

variable "primary_endpoint" {
  description = "Host name of the primary region's ingress load balancer."
  type        = string
}

variable "secondary_endpoint" {
  description = "Host name of the DR region's ingress load balancer."
  type        = string
}

variable "alert_email_addresses" {
  description = "On-call addresses subscribed to alerts."
  type        = list(string)
}
