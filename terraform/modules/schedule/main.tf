# An EventBridge Scheduler schedule, in a time zone, that invokes a Lambda function asynchronously
# with a fixed input, with its own role, retries, and a dead-letter queue for deliveries that fail.

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.this.account_id]
    }
  }
}

data "aws_caller_identity" "this" {}

resource "aws_iam_role" "this" {
  name               = var.name
  description        = "Lets the ${var.name} schedule invoke its function"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

data "aws_iam_policy_document" "this" {
  statement {
    sid       = "InvokeTarget"
    actions   = ["lambda:InvokeFunction"]
    resources = [var.function_arn, "${var.function_arn}:*"]
  }

  dynamic "statement" {
    for_each = var.dead_letter_arn == "" ? [] : [var.dead_letter_arn]

    content {
      sid       = "SendToDeadLetterQueue"
      actions   = ["sqs:SendMessage"]
      resources = [statement.value]
    }
  }
}

resource "aws_iam_role_policy" "this" {
  name   = var.name
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}

resource "aws_scheduler_schedule" "this" {
  #checkov:skip=CKV_AWS_297:The schedule's input is a fixed, non-secret event ({} or a day count); the AWS-owned key that encrypts it costs nothing, a customer managed key does.
  name                         = var.name
  description                  = var.description
  schedule_expression          = var.schedule_expression
  schedule_expression_timezone = var.timezone
  state                        = var.enabled ? "ENABLED" : "DISABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = var.function_arn
    role_arn = aws_iam_role.this.arn
    input    = var.input

    retry_policy {
      maximum_retry_attempts       = var.maximum_retry_attempts
      maximum_event_age_in_seconds = var.maximum_event_age_seconds
    }

    dynamic "dead_letter_config" {
      for_each = var.dead_letter_arn == "" ? [] : [var.dead_letter_arn]

      content {
        arn = dead_letter_config.value
      }
    }
  }
}
