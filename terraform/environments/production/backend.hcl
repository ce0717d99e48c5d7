bucket         = "arrakis-terraform-state-production"
key            = "platform/production.tfstate"
region         = "eu-west-1"
dynamodb_table = "arrakis-terraform-locks"
encrypt        = true
kms_key_id     = "alias/arrakis-terraform-state"
