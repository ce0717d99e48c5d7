# The Arrakis platform: network, cluster, data stores, messaging, observability, security, backup and DNS,
# then the seven services on top. Module outputs feed the next layer; nothing is looked up by name.

module "networking" {
  source = "./modules/networking"

  name               = local.name
  cidr               = var.vpc_cidr
  azs                = var.azs
  single_nat_gateway = var.single_nat_gateway
  cluster_name       = local.name

  tags = local.tags
}

module "eks" {
  source = "./modules/eks"

  cluster_name                 = local.name
  cluster_version              = var.cluster_version
  vpc_id                       = module.networking.vpc_id
  subnet_ids                   = module.networking.private_subnet_ids
  endpoint_public_access       = length(var.cluster_endpoint_public_access_cidrs) > 0
  endpoint_public_access_cidrs = var.cluster_endpoint_public_access_cidrs
  node_groups                  = var.node_groups

  tags = local.tags
}

module "rds" {
  source = "./modules/rds"

  identifier                 = local.name
  vpc_id                     = module.networking.vpc_id
  subnet_ids                 = module.networking.database_subnet_ids
  allowed_security_group_ids = [module.eks.node_security_group_id]
  services                   = { for name in keys(local.service_defaults) : name => {} }
  instance_class             = var.db_instance_class
  multi_az                   = var.db_multi_az

  tags = local.tags
}

module "elasticache" {
  source = "./modules/elasticache"

  name                       = local.name
  vpc_id                     = module.networking.vpc_id
  subnet_ids                 = module.networking.database_subnet_ids
  allowed_security_group_ids = [module.eks.node_security_group_id]
  node_type                  = var.redis_node_type

  tags = local.tags
}

module "security" {
  source = "./modules/security"

  name                = local.name
  oidc_provider_arn   = module.eks.oidc_provider_arn
  oidc_issuer         = module.eks.oidc_issuer
  namespace           = "arrakis"
  services            = local.service_permissions
  enable_guardduty    = var.enable_guardduty
  enable_security_hub = var.enable_security_hub

  tags = local.tags
}

module "nats" {
  source = "./modules/nats"

  kms_key_arn = module.eks.kms_key_arn

  tags = local.tags

  depends_on = [module.eks]
}

module "monitoring" {
  source = "./modules/monitoring"

  name                  = local.name
  oidc_provider_arn     = module.eks.oidc_provider_arn
  oidc_issuer           = module.eks.oidc_issuer
  alert_email_addresses = var.alert_email_addresses
  storage_class_name    = module.nats.storage_class_name

  tags = local.tags

  depends_on = [module.eks]
}

module "application" {
  source = "./modules/application"

  environment       = var.environment
  namespace         = "arrakis"
  services          = local.services
  service_role_arns = module.security.service_role_arns
  database_urls     = module.rds.service_database_urls
  redis_url         = module.elasticache.redis_url
  nats_url          = module.nats.url
  otlp_endpoint     = module.monitoring.otlp_endpoint

  tags = local.tags
}

module "backup" {
  source = "./modules/backup"
  providers = {
    aws    = aws
    aws.dr = aws.dr
  }

  name = local.name

  tags = local.tags
}

module "dns" {
  source = "./modules/dns"

  domain_name        = var.domain_name
  primary_endpoint   = var.primary_endpoint
  secondary_endpoint = var.secondary_endpoint

  tags = local.tags
}
