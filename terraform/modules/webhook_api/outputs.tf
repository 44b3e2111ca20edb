output "api_id" {
  description = "Id of the HTTP API."
  value       = aws_apigatewayv2_api.this.id
}

output "api_endpoint" {
  description = "Base URL of the API."
  value       = aws_apigatewayv2_api.this.api_endpoint
}

output "webhook_url" {
  description = "URL to give Telegram's setWebhook."
  value       = "${aws_apigatewayv2_api.this.api_endpoint}${var.path}"
}

output "stage_name" {
  description = "Name of the stage that serves the route."
  value       = aws_apigatewayv2_stage.this.name
}

output "access_log_group_name" {
  description = "Log group of the access logs."
  value       = aws_cloudwatch_log_group.access.name
}
