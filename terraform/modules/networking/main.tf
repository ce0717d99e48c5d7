data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

data "aws_partition" "current" {}

locals {
  # /20 public, private and database subnets per AZ, from separate ranges of the VPC block
  public_subnets   = [for index, _ in var.azs : cidrsubnet(var.cidr, 4, index)]
  private_subnets  = [for index, _ in var.azs : cidrsubnet(var.cidr, 4, index + 4)]
  database_subnets = [for index, _ in var.azs : cidrsubnet(var.cidr, 4, index + 8)]
  nat_gateway_count = var.single_nat_gateway ? 1 : length(var.azs)

  # Network ACL rules per tier: the database tier accepts PostgreSQL and Redis from the private tier only.
  nacl_rules = {
    public = [
      { rule_number = 100, egress = false, protocol = "tcp", from_port = 443, to_port = 443, cidr_block = "0.0.0.0/0" },
      { rule_number = 110, egress = false, protocol = "tcp", from_port = 80, to_port = 80, cidr_block = "0.0.0.0/0" },
      { rule_number = 120, egress = false, protocol = "tcp", from_port = 1024, to_port = 65535, cidr_block = "0.0.0.0/0" },
      { rule_number = 130, egress = false, protocol = "-1", from_port = 0, to_port = 0, cidr_block = var.cidr },
      { rule_number = 100, egress = true, protocol = "-1", from_port = 0, to_port = 0, cidr_block = "0.0.0.0/0" },
    ]
    private = [
      { rule_number = 100, egress = false, protocol = "-1", from_port = 0, to_port = 0, cidr_block = var.cidr },
      { rule_number = 110, egress = false, protocol = "tcp", from_port = 1024, to_port = 65535, cidr_block = "0.0.0.0/0" },
      { rule_number = 120, egress = false, protocol = "udp", from_port = 1024, to_port = 65535, cidr_block = "0.0.0.0/0" },
      { rule_number = 100, egress = true, protocol = "-1", from_port = 0, to_port = 0, cidr_block = "0.0.0.0/0" },
    ]
    database = concat(
      [for index, cidr in local.private_subnets : { rule_number = 100 + index * 10, egress = false, protocol = "tcp", from_port = 5432, to_port = 5432, cidr_block = cidr }],
      [for index, cidr in local.private_subnets : { rule_number = 200 + index * 10, egress = false, protocol = "tcp", from_port = 6379, to_port = 6379, cidr_block = cidr }],
      [{ rule_number = 100, egress = true, protocol = "tcp", from_port = 1024, to_port = 65535, cidr_block = var.cidr }],
    )
  }
  nacl_subnets = {
    public   = aws_subnet.public[*].id
    private  = aws_subnet.private[*].id
    database = aws_subnet.database[*].id
  }
}

################################################################################
# VPC, subnets and gateways
################################################################################

resource "aws_vpc" "this" {
  cidr_block           = var.cidr
  enable_dns_hostnames = true
  enable_dns_support   = true

  tags = merge(var.tags, { Name = var.name })
}

# Nothing may use the default security group: it is stripped of every rule.
resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-default-deny" })
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = var.name })
}

resource "aws_subnet" "public" {
  count = length(var.azs)

  vpc_id            = aws_vpc.this.id
  cidr_block        = local.public_subnets[count.index]
  availability_zone = var.azs[count.index]

  tags = merge(var.tags, {
    Name                                        = "${var.name}-public-${var.azs[count.index]}"
    Tier                                        = "public"
    "kubernetes.io/role/elb"                    = "1"
    "kubernetes.io/cluster/${var.cluster_name}" = "shared"
  })
}

resource "aws_subnet" "private" {
  count = length(var.azs)

  vpc_id            = aws_vpc.this.id
  cidr_block        = local.private_subnets[count.index]
  availability_zone = var.azs[count.index]

  tags = merge(var.tags, {
    Name                                        = "${var.name}-private-${var.azs[count.index]}"
    Tier                                        = "private"
    "kubernetes.io/role/internal-elb"           = "1"
    "kubernetes.io/cluster/${var.cluster_name}" = "shared"
  })
}

resource "aws_subnet" "database" {
  count = length(var.azs)

  vpc_id            = aws_vpc.this.id
  cidr_block        = local.database_subnets[count.index]
  availability_zone = var.azs[count.index]

  tags = merge(var.tags, {
    Name = "${var.name}-database-${var.azs[count.index]}"
    Tier = "database"
  })
}

resource "aws_eip" "nat" {
  count = local.nat_gateway_count

  domain = "vpc"

  tags = merge(var.tags, { Name = "${var.name}-nat-${var.azs[count.index]}" })

  depends_on = [aws_internet_gateway.this]
}

resource "aws_nat_gateway" "this" {
  count = local.nat_gateway_count

  allocation_id = aws_eip.nat[count.index].id
  subnet_id     = aws_subnet.public[count.index].id

  tags = merge(var.tags, { Name = "${var.name}-${var.azs[count.index]}" })

  depends_on = [aws_internet_gateway.this]
}

################################################################################
# Routing
################################################################################

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-public" })
}

resource "aws_route" "public_internet" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this.id
}

resource "aws_route_table_association" "public" {
  count = length(var.azs)

  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

resource "aws_route_table" "private" {
  count = length(var.azs)

  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-private-${var.azs[count.index]}" })
}

# Private workloads reach the internet (webhook egress, image pulls) through the NAT gateway of their AZ.
resource "aws_route" "private_nat" {
  count = length(var.azs)

  route_table_id         = aws_route_table.private[count.index].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[var.single_nat_gateway ? 0 : count.index].id
}

resource "aws_route_table_association" "private" {
  count = length(var.azs)

  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private[count.index].id
}

# The database tier has no route to the internet at all.
resource "aws_route_table" "database" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-database" })
}

resource "aws_route_table_association" "database" {
  count = length(var.azs)

  subnet_id      = aws_subnet.database[count.index].id
  route_table_id = aws_route_table.database.id
}

resource "aws_vpc_endpoint" "s3" {
  vpc_id            = aws_vpc.this.id
  service_name      = "com.amazonaws.${data.aws_region.current.name}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = concat(aws_route_table.private[*].id, [aws_route_table.database.id])

  tags = merge(var.tags, { Name = "${var.name}-s3" })
}

################################################################################
# Network ACLs
################################################################################

resource "aws_network_acl" "this" {
  for_each = local.nacl_subnets

  vpc_id     = aws_vpc.this.id
  subnet_ids = each.value

  dynamic "ingress" {
    for_each = [for rule in local.nacl_rules[each.key] : rule if !rule.egress]
    content {
      rule_no    = ingress.value.rule_number
      action     = "allow"
      protocol   = ingress.value.protocol
      from_port  = ingress.value.from_port
      to_port    = ingress.value.to_port
      cidr_block = ingress.value.cidr_block
    }
  }

  dynamic "egress" {
    for_each = [for rule in local.nacl_rules[each.key] : rule if rule.egress]
    iterator = rule
    content {
      rule_no    = rule.value.rule_number
      action     = "allow"
      protocol   = rule.value.protocol
      from_port  = rule.value.from_port
      to_port    = rule.value.to_port
      cidr_block = rule.value.cidr_block
    }
  }

  tags = merge(var.tags, { Name = "${var.name}-${each.key}" })
}

################################################################################
# Flow logs: CloudWatch Logs, encrypted with a dedicated KMS key
################################################################################

module "kms" {
  source = "../kms"

  alias          = "${var.name}-flow-logs"
  description    = "VPC flow logs of ${var.name}"
  log_group_arns = ["arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:/aws/vpc-flow-logs/${var.name}"]

  tags = var.tags
}

resource "aws_cloudwatch_log_group" "flow_logs" {
  name              = "/aws/vpc-flow-logs/${var.name}"
  retention_in_days = var.flow_log_retention_days
  kms_key_id        = module.kms.key_arn

  tags = var.tags
}

data "aws_iam_policy_document" "flow_logs_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["vpc-flow-logs.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

data "aws_iam_policy_document" "flow_logs" {
  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["${aws_cloudwatch_log_group.flow_logs.arn}:*"]
  }
}

resource "aws_iam_role" "flow_logs" {
  name               = "${var.name}-vpc-flow-logs"
  assume_role_policy = data.aws_iam_policy_document.flow_logs_assume.json

  tags = var.tags
}

resource "aws_iam_role_policy" "flow_logs" {
  name   = "write-flow-logs"
  role   = aws_iam_role.flow_logs.id
  policy = data.aws_iam_policy_document.flow_logs.json
}

resource "aws_flow_log" "this" {
  vpc_id                   = aws_vpc.this.id
  traffic_type             = var.flow_log_traffic_type
  log_destination_type     = "cloud-watch-logs"
  log_destination          = aws_cloudwatch_log_group.flow_logs.arn
  iam_role_arn             = aws_iam_role.flow_logs.arn
  max_aggregation_interval = 60

  tags = merge(var.tags, { Name = var.name })
}
