region         = "eu-west-1"
dr_region      = "eu-central-1"
azs            = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
operator_cidrs = ["203.0.113.0/24"]

node_groups = {
  general = {
    instance_types = ["m6i.xlarge"]
    min_size       = 3
    max_size       = 12
    desired_size   = 6
  }
  embedding = {
    instance_types = ["c6i.2xlarge"]
    min_size       = 2
    max_size       = 6
    desired_size   = 2
  }
}

image_registry = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/arrakis"
image_tag      = "0.1.0"

service_overrides = {
  "embedding-service" = { min_replicas = 2, max_replicas = 10, cpu_limit = "2", memory_limit = "4Gi" }
  "event-gateway"     = { min_replicas = 3, max_replicas = 12 }
  "user-service"      = { min_replicas = 3, max_replicas = 12 }
}

domain_name           = "arrakis.example.com"
primary_endpoint      = "ingress-eu-west-1.arrakis.example.com"
secondary_endpoint    = "ingress-eu-central-1.arrakis.example.com"
alert_email_addresses = ["oncall@arrakis.example.com"]
