# Staging: one NAT gateway, small instances and spot nodes; same modules and failover behaviour as production.
module "platform" {
  source = "../.."

  environment        = "staging"
  region             = var.region
  azs                = var.azs
  single_nat_gateway = true
  db_instance_class  = "db.t4g.medium"
  redis_node_type    = "cache.t4g.small"
  node_groups        = var.node_groups
  image_registry     = var.image_registry
  image_tag          = var.image_tag
  domain_name        = var.domain_name
  primary_endpoint   = var.primary_endpoint
  secondary_endpoint = var.secondary_endpoint
  enable_guardduty   = false
  tags               = { CostCenter = "platform-staging" }
}
