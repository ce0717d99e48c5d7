# Complete example: the whole platform with every input set explicitly, state kept locally.
module "platform" {
  source = "../.."

  project                              = "arrakis"
  environment                          = "staging"
  region                               = "us-east-1"
  dr_region                            = "us-west-2"
  vpc_cidr                             = "10.42.0.0/16"
  azs                                  = ["us-east-1a", "us-east-1b", "us-east-1c"]
  single_nat_gateway                   = true
  cluster_version                      = "1.31"
  cluster_endpoint_public_access_cidrs = ["198.51.100.0/24"]
  node_groups = {
    general = {
      instance_types = ["t3.large"]
      capacity_type  = "SPOT"
      min_size       = 2
      max_size       = 4
      desired_size   = 2
      labels         = { workload = "general" }
    }
  }
  db_instance_class  = "db.t4g.medium"
  db_multi_az        = true
  redis_node_type    = "cache.t4g.small"
  image_registry     = "ghcr.io/example/arrakis"
  image_tag          = "0.1.0"
  service_overrides  = { "embedding-service" = { memory_limit = "2Gi" } }
  domain_name        = "arrakis-example.example.com"
  primary_endpoint   = "primary.arrakis-example.example.com"
  secondary_endpoint = "secondary.arrakis-example.example.com"
  alert_email_addresses = [
    "platform@arrakis-example.example.com",
  ]
  enable_guardduty    = true
  enable_security_hub = true
  tags                = { Example = "complete" }
}
