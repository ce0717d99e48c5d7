bucket         = "arrakis-terraform-state-staging"
key            = "platform/staging.tfstate"
region         = "eu-west-1"
dynamodb_table = "arrakis-terraform-locks"
encrypt        = true
