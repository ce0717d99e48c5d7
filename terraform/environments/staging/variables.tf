variable "region" {
  description = "Primary AWS region of staging."
  type        = string
}

variable "azs" {
  description = "Three availability zones of the region."
  type        = list(string)
}

variable "node_groups" {
  description = "EKS managed node groups of staging."
  type = map(object({
    instance_types = list(string)
    capacity_type  = optional(string, "SPOT")
    min_size       = number
    max_size       = number
    desired_size   = number
  }))
}

variable "image_registry" {
  description = "Registry prefix of the service images."
  type        = string
}

variable "image_tag" {
  description = "Release tag deployed to staging."
  type        = string
}

variable "domain_name" {
  description = "DNS zone of staging."
  type        = string
}

variable "primary_endpoint" {
  description = "Host name of staging's ingress load balancer."
  type        = string
}

variable "secondary_endpoint" {
  description = "Maintenance page host staging fails over to."
  type        = string
}
