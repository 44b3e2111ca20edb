output "function_name" {
  description = "Name of the function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the function."
  value       = aws_lambda_function.this.arn
}

output "function_invoke_arn" {
  description = "ARN API Gateway uses to invoke the function."
  value       = aws_lambda_function.this.invoke_arn
}

output "role_name" {
  description = "Name of the function's execution role."
  value       = aws_iam_role.this.name
}

output "role_arn" {
  description = "ARN of the function's execution role."
  value       = aws_iam_role.this.arn
}

output "log_group_name" {
  description = "Log group of the function."
  value       = aws_cloudwatch_log_group.this.name
}

output "error_alarm_name" {
  description = "Name of the alarm on the function's errors."
  value       = aws_cloudwatch_metric_alarm.errors.alarm_name
}

output "error_alarm_arn" {
  description = "ARN of the alarm on the function's errors."
  value       = aws_cloudwatch_metric_alarm.errors.arn
}
