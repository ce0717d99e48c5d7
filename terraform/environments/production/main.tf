# Production: NAT and database standby in every AZ, on-demand nodes, alerting to the on-call list.
module "platform" {
  source = "../.."

  environment                          = "production"
  region                               = var.region
  dr_region                            = var.dr_region
  azs                                  = var.azs
  vpc_cidr                             = "10.20.0.0/16"
  cluster_endpoint_public_access_cidrs = var.operator_cidrs
  node_groups                          = var.node_groups
  db_instance_class                    = "db.r6g.xlarge"
  redis_node_type                      = "cache.r7g.large"
  image_registry                       = var.image_registry
  image_tag                            = var.image_tag
  service_overrides                    = var.service_overrides
  domain_name                          = var.domain_name
  primary_endpoint                     = var.primary_endpoint
  secondary_endpoint                   = var.secondary_endpoint
  alert_email_addresses                = var.alert_email_addresses
  tags                                 = { CostCenter = "platform-production", DataClassification = "confidential" }
}
