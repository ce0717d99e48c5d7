output "platform" {
  description = "Every output of the platform composition."
  value       = module.platform
}
