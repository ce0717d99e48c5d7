output "zone_id" {
  description = "ID of the hosted zone."
  value       = aws_route53_zone.this.zone_id
}

output "name_servers" {
  description = "Name servers to delegate the domain to."
  value       = aws_route53_zone.this.name_servers
}

output "certificate_arn" {
  description = "ARN of the validated wildcard certificate (for the ingress load balancer)."
  value       = aws_acm_certificate_validation.this.certificate_arn
}

output "api_fqdn" {
  description = "Failover name of the API."
  value       = local.api_fqdn
}

output "health_check_ids" {
  description = "Route 53 health check IDs by failover role."
  value       = { for role, check in aws_route53_health_check.this : role => check.id }
}
