locals {
  api_fqdn = "${var.api_record_name}.${var.domain_name}"
  endpoints = {
    PRIMARY   = var.primary_endpoint
    SECONDARY = var.secondary_endpoint
  }
}

resource "aws_route53_zone" "this" {
  #checkov:skip=CKV2_AWS_38:DNSSEC signing needs a KMS key in us-east-1 and registrar DS records; planned with the registrar move.
  #checkov:skip=CKV2_AWS_39:Query logging for public zones must go to a log group in us-east-1, which this regional stack does not own.
  name    = var.domain_name
  comment = "Arrakis platform"

  tags = var.tags
}

resource "aws_acm_certificate" "this" {
  domain_name               = var.domain_name
  subject_alternative_names = ["*.${var.domain_name}"]
  validation_method         = "DNS"
  key_algorithm             = "EC_prime256v1"

  options {
    certificate_transparency_logging_preference = "ENABLED"
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_route53_record" "validation" {
  for_each = {
    for option in aws_acm_certificate.this.domain_validation_options : option.domain_name => {
      name   = option.resource_record_name
      type   = option.resource_record_type
      record = option.resource_record_value
    }
  }

  zone_id         = aws_route53_zone.this.zone_id
  name            = each.value.name
  type            = each.value.type
  records         = [each.value.record]
  ttl             = 300
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "this" {
  certificate_arn         = aws_acm_certificate.this.arn
  validation_record_fqdns = [for record in aws_route53_record.validation : record.fqdn]
}

resource "aws_route53_health_check" "this" {
  for_each = local.endpoints

  fqdn              = each.value
  port              = 443
  type              = "HTTPS"
  resource_path     = var.health_check_path
  failure_threshold = 3
  request_interval  = 30
  measure_latency   = true
  enable_sni        = true

  tags = merge(var.tags, { Name = "${local.api_fqdn}-${lower(each.key)}" })
}

resource "aws_route53_record" "api" {
  for_each = local.endpoints

  zone_id         = aws_route53_zone.this.zone_id
  name            = local.api_fqdn
  type            = "CNAME"
  ttl             = var.record_ttl
  records         = [each.value]
  set_identifier  = lower(each.key)
  health_check_id = aws_route53_health_check.this[each.key].id

  failover_routing_policy {
    type = each.key
  }
}
