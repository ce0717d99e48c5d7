region = "eu-west-1"
azs    = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]

node_groups = {
  general = {
    instance_types = ["m6i.large", "m5.large"]
    min_size       = 2
    max_size       = 5
    desired_size   = 3
  }
}

image_registry     = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/arrakis"
image_tag          = "0.1.0"
domain_name        = "staging.arrakis.example.com"
primary_endpoint   = "ingress.staging.arrakis.example.com"
secondary_endpoint = "maintenance.arrakis.example.com"
