terraform {
  required_version = ">= 1.6.0"

  # Partial configuration: `terraform init -backend-config=backend.hcl`.
  backend "s3" {}
}
