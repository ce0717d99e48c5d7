output "cluster_name" {
  description = "Name of the EKS cluster."
  value       = aws_eks_cluster.this.name
}

output "cluster_arn" {
  description = "ARN of the EKS cluster."
  value       = aws_eks_cluster.this.arn
}

output "cluster_endpoint" {
  description = "Endpoint of the Kubernetes API server."
  value       = aws_eks_cluster.this.endpoint
}

output "cluster_certificate_authority_data" {
  description = "Base64 certificate authority data of the cluster, for provider and kubeconfig setup."
  value       = aws_eks_cluster.this.certificate_authority[0].data
}

output "cluster_version" {
  description = "Kubernetes version the control plane runs."
  value       = aws_eks_cluster.this.version
}

output "cluster_security_group_id" {
  description = "Security group of the control plane ENIs."
  value       = aws_security_group.cluster.id
}

output "node_security_group_id" {
  description = "Security group of the managed nodes: the source that RDS and ElastiCache admit."
  value       = aws_security_group.node.id
}

output "oidc_provider_arn" {
  description = "ARN of the IAM OIDC provider, the federated principal of every IRSA trust policy."
  value       = aws_iam_openid_connect_provider.this.arn
}

output "oidc_issuer" {
  description = "OIDC issuer host and path without the scheme, the prefix of the IRSA condition keys."
  value       = local.oidc_issuer
}

output "kms_key_arn" {
  description = "KMS key that envelope-encrypts Kubernetes secrets."
  value       = module.kms.key_arn
}

output "node_group_names" {
  description = "Names of the managed node groups."
  value       = [for group in aws_eks_node_group.this : group.node_group_name]
}

output "node_role_arn" {
  description = "IAM role the managed nodes run under."
  value       = aws_iam_role.node.arn
}
