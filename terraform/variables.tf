variable "project" {
  description = "Project name, the first part of every resource name."
  type        = string
  default     = "arrakis"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,15}$", var.project))
    error_message = "project must be 2-16 lowercase letters and digits, starting with a letter."
  }
}

variable "environment" {
  description = "Deployment environment."
  type        = string

  validation {
    condition     = contains(["staging", "production"], var.environment)
    error_message = "environment must be staging or production."
  }
}

variable "region" {
  description = "Primary AWS region."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "dr_region" {
  description = "Disaster-recovery region that receives backup copies."
  type        = string
  default     = "eu-central-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.dr_region))
    error_message = "dr_region must be an AWS region name such as eu-central-1."
  }
}

variable "vpc_cidr" {
  description = "CIDR block of the VPC."
  type        = string
  default     = "10.0.0.0/16"
}

variable "azs" {
  description = "Three availability zones of the primary region."
  type        = list(string)
  default     = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
}

variable "single_nat_gateway" {
  description = "One NAT gateway instead of one per AZ (non-production only)."
  type        = bool
  default     = false
}

variable "cluster_version" {
  description = "Kubernetes version of the EKS control plane."
  type        = string
  default     = "1.31"
}

variable "cluster_endpoint_public_access_cidrs" {
  description = "CIDRs allowed to reach the EKS API publicly; empty keeps the endpoint private."
  type        = list(string)
  default     = []
}

variable "node_groups" {
  description = "EKS managed node groups (see modules/eks)."
  type = map(object({
    instance_types = list(string)
    capacity_type  = optional(string, "ON_DEMAND")
    min_size       = number
    max_size       = number
    desired_size   = number
    disk_size_gb   = optional(number, 50)
    labels         = optional(map(string), {})
  }))
  default = {
    general = {
      instance_types = ["m6i.large"]
      min_size       = 3
      max_size       = 9
      desired_size   = 3
    }
  }
}

variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.r6g.large"
}

variable "db_multi_az" {
  description = "Run the database with a Multi-AZ standby."
  type        = bool
  default     = true
}

variable "redis_node_type" {
  description = "ElastiCache node type."
  type        = string
  default     = "cache.r7g.large"
}

variable "image_registry" {
  description = "Registry and repository prefix of the service images (for example `123456789012.dkr.ecr.eu-west-1.amazonaws.com/arrakis`)."
  type        = string
}

variable "image_tag" {
  description = "Release tag of the service images."
  type        = string

  validation {
    condition     = var.image_tag != "latest" && can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag))
    error_message = "image_tag must be a valid, immutable tag (not latest)."
  }
}

variable "service_overrides" {
  description = "Per-service scaling overrides by service name (see modules/application for the fields)."
  type = map(object({
    min_replicas   = optional(number)
    max_replicas   = optional(number)
    cpu_request    = optional(string)
    memory_request = optional(string)
    cpu_limit      = optional(string)
    memory_limit   = optional(string)
  }))
  default = {}
}

variable "domain_name" {
  description = "Public DNS zone of the environment."
  type        = string
}

variable "primary_endpoint" {
  description = "Host name of the primary ingress load balancer."
  type        = string
}

variable "secondary_endpoint" {
  description = "Host name to fail over to."
  type        = string
}

variable "alert_email_addresses" {
  description = "Addresses subscribed to the alert topic."
  type        = list(string)
  default     = []
}

variable "enable_guardduty" {
  description = "Create the GuardDuty detector in this account and region."
  type        = bool
  default     = true
}

variable "enable_security_hub" {
  description = "Enable Security Hub in this account and region."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Extra tags merged into every taggable resource."
  type        = map(string)
  default     = {}
}
