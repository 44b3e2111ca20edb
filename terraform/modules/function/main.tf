# One Lambda function with its own role (least privilege: the policy the caller passes plus writing
# to its own log group), a log group with retention, optional asynchronous-invocation settings
# (retries, on-success and on-failure destinations) and an alarm on its errors.

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = var.function_name
  description        = "Execution role of the ${var.function_name} function"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

data "aws_iam_policy_document" "logs" {
  source_policy_documents = var.policy_json == "" ? [] : [var.policy_json]

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }
}

resource "aws_iam_role_policy" "this" {
  name   = var.function_name
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.logs.json
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest with AWS-owned keys; the functions never log secrets or bodies, so a paid CMK adds nothing.
  #checkov:skip=CKV_AWS_338:Retention is a variable (default 30 days): a year of debug logs costs more than it helps a small pipeline.
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_50:X-Ray tracing is off: the JSON logs carry each request's fields, and tracing adds cost.
  #checkov:skip=CKV_AWS_116:Failures go to an on-failure destination (asynchronous config below), which records more than a DLQ; the webhook function is invoked synchronously, so Telegram's retries are its queue.
  #checkov:skip=CKV_AWS_117:The functions reach only public AWS APIs; a VPC would need NAT gateways or endpoints at a monthly cost.
  #checkov:skip=CKV_AWS_173:The environment holds no secrets (the webhook secret stays in SSM), so the default encryption of Lambda suffices.
  #checkov:skip=CKV_AWS_272:The zips are built from this repository by the same operator who deploys them; code signing needs a signing profile and adds no check here.
  function_name                  = var.function_name
  description                    = var.description
  role                           = aws_iam_role.this.arn
  filename                       = var.filename
  source_code_hash               = filebase64sha256(var.filename)
  handler                        = var.handler
  runtime                        = var.runtime
  architectures                  = [var.architecture]
  memory_size                    = var.memory_size
  timeout                        = var.timeout
  layers                         = var.layers
  reserved_concurrent_executions = var.reserved_concurrent_executions

  ephemeral_storage {
    size = var.ephemeral_storage_mb
  }

  environment {
    variables = var.environment
  }

  depends_on = [aws_cloudwatch_log_group.this, aws_iam_role_policy.this]
}

resource "aws_lambda_function_event_invoke_config" "this" {
  count = var.create_async_config ? 1 : 0

  function_name                = aws_lambda_function.this.function_name
  maximum_retry_attempts       = var.async_maximum_retry_attempts
  maximum_event_age_in_seconds = var.async_maximum_event_age_seconds

  # No block without a destination: an empty one reads back as absent, a change on every plan.
  dynamic "destination_config" {
    for_each = var.on_success_arn == "" && var.on_failure_arn == "" ? [] : [1]

    content {
      dynamic "on_success" {
        for_each = var.on_success_arn == "" ? [] : [var.on_success_arn]

        content {
          destination = on_success.value
        }
      }

      dynamic "on_failure" {
        for_each = var.on_failure_arn == "" ? [] : [var.on_failure_arn]

        content {
          destination = on_failure.value
        }
      }
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "errors" {
  alarm_name          = "${var.function_name}-errors"
  alarm_description   = "The ${var.function_name} function failed at least once in ${var.alarm_period_seconds} seconds."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.this.function_name }
  statistic           = "Sum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
}
