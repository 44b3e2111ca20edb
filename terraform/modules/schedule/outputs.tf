output "schedule_name" {
  description = "Name of the schedule."
  value       = aws_scheduler_schedule.this.name
}

output "schedule_arn" {
  description = "ARN of the schedule."
  value       = aws_scheduler_schedule.this.arn
}

output "role_arn" {
  description = "ARN of the role the schedule invokes its function with."
  value       = aws_iam_role.this.arn
}
