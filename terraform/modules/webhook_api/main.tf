# An HTTP API with one route, POST <path>, proxied to a Lambda function (payload format 2.0), with
# throttling on the default stage and access logs.

resource "aws_apigatewayv2_api" "this" {
  name          = var.name
  description   = "Telegram webhook of ${var.name}"
  protocol_type = "HTTP"
}

resource "aws_apigatewayv2_integration" "this" {
  api_id                 = aws_apigatewayv2_api.this.id
  integration_type       = "AWS_PROXY"
  integration_method     = "POST"
  integration_uri        = var.function_invoke_arn
  payload_format_version = "2.0"
  timeout_milliseconds   = var.integration_timeout_ms
}

resource "aws_apigatewayv2_route" "this" {
  #checkov:skip=CKV_AWS_309:Telegram cannot sign requests or send IAM or JWT credentials; the function checks the X-Telegram-Bot-Api-Secret-Token header in constant time.
  api_id    = aws_apigatewayv2_api.this.id
  route_key = "POST ${var.path}"
  target    = "integrations/${aws_apigatewayv2_integration.this.id}"
}

resource "aws_cloudwatch_log_group" "access" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest with AWS-owned keys; access logs hold no secrets (headers are not logged), so a paid CMK adds nothing.
  #checkov:skip=CKV_AWS_338:Retention is a variable (default 30 days): a year of access logs costs more than it helps a small pipeline.
  name              = "/aws/apigateway/${var.name}"
  retention_in_days = var.log_retention_days
}

resource "aws_apigatewayv2_stage" "this" {
  api_id      = aws_apigatewayv2_api.this.id
  name        = "$default"
  auto_deploy = true

  default_route_settings {
    throttling_burst_limit = var.throttling_burst_limit
    throttling_rate_limit  = var.throttling_rate_limit
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format = jsonencode({
      requestId      = "$context.requestId"
      ip             = "$context.identity.sourceIp"
      requestTime    = "$context.requestTime"
      routeKey       = "$context.routeKey"
      status         = "$context.status"
      responseLength = "$context.responseLength"
      latencyMs      = "$context.integrationLatency"
      error          = "$context.integrationErrorMessage"
    })
  }
}

resource "aws_lambda_permission" "this" {
  statement_id  = "AllowInvokeFromApiGateway"
  action        = "lambda:InvokeFunction"
  function_name = var.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.this.execution_arn}/*/*${var.path}"
}
