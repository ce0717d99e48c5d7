locals {
  name = "${var.project}-${var.environment}"
  tags = merge(var.tags, {
    Project     = var.project
    Environment = var.environment
    ManagedBy   = "terraform"
  })

  # The seven services: what each needs beyond its own database.
  service_defaults = {
    "ontology-management-service" = { uses_redis = false, read_jwt_signing_key = false, read_model_bucket = false }
    "user-service"                = { uses_redis = true, read_jwt_signing_key = true, read_model_bucket = false }
    "audit-service"               = { uses_redis = false, read_jwt_signing_key = false, read_model_bucket = false }
    "data-kernel-service"         = { uses_redis = false, read_jwt_signing_key = false, read_model_bucket = false }
    "embedding-service"           = { uses_redis = false, read_jwt_signing_key = false, read_model_bucket = true }
    "scheduler-service"           = { uses_redis = false, read_jwt_signing_key = false, read_model_bucket = false }
    "event-gateway"               = { uses_redis = false, read_jwt_signing_key = false, read_model_bucket = false }
  }

  services = {
    for name, defaults in local.service_defaults : name => merge(
      { image = "${var.image_registry}/${name}:${var.image_tag}", uses_redis = defaults.uses_redis },
      { for field, value in lookup(var.service_overrides, name, {}) : field => value if value != null },
    )
  }

  service_permissions = {
    for name, defaults in local.service_defaults : name => {
      service_account = name
      secret_arns = concat(
        [module.rds.service_secret_arns[name]],
        defaults.uses_redis ? [module.elasticache.auth_secret_arn] : [],
      )
      kms_key_arns = concat(
        [module.rds.kms_key_arn],
        defaults.uses_redis ? [module.elasticache.kms_key_arn] : [],
      )
      read_jwt_signing_key = defaults.read_jwt_signing_key
      read_model_bucket    = defaults.read_model_bucket
    }
  }
}
