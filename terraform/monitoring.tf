# Knowing it works: alarms on silence (no update stored), stale tables (no ETL success) and
# Telegram's delivery errors, and a dashboard. docs/operations.md says what each alarm means and
# what to do about it.
#
# The functions publish their own metrics in the log lines they write anyway (CloudWatch Embedded
# Metric Format, see src/tgpipe/logs.py): namespace "tgpipe", dimension FunctionName.
#   UpdatesStored           ingest, each webhook request: 1 when a new update reached the raw bucket
#   EtlRunsSucceeded        etl, once per successful run; EtlRows, the rows it wrote
#   WebhookPendingUpdates   webhook check: updates Telegram has not delivered yet
#   WebhookDeliveryFailing  webhook check: 1 when Telegram reported a delivery error since the
#                           previous check, or the bot's webhook is not this stack's URL

locals {
  metrics_namespace = "tgpipe" # tgpipe.logs.METRICS_NAMESPACE
  alarm_topic       = [aws_sns_topic.alarms.arn]
  webhook_check_fn  = one(module.webhook_check[*].function_name)
  functions = concat(
    [module.ingest.function_name, module.etl.function_name, module.etl_shards.function_name, module.import.function_name, module.repair.function_name],
    module.webhook_check[*].function_name,
  )
}

# ---- alarms

resource "aws_cloudwatch_metric_alarm" "silence" {
  count = var.silence_alarm_hours > 0 ? 1 : 0

  alarm_name          = "${var.name}-no-updates"
  alarm_description   = "No update reached the raw bucket for ${var.silence_alarm_hours} hours: the webhook, the bot or its groups may be broken (or the chats are quiet). See docs/operations.md."
  namespace           = local.metrics_namespace
  metric_name         = "UpdatesStored"
  dimensions          = { FunctionName = module.ingest.function_name }
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = var.silence_alarm_hours
  datapoints_to_alarm = var.silence_alarm_hours
  threshold           = 1
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "breaching" # no webhook call at all publishes nothing: that is silence too
  alarm_actions       = local.alarm_topic
  ok_actions          = local.alarm_topic
}

resource "aws_cloudwatch_metric_alarm" "etl_stale" {
  count = var.etl_alarm_hours > 0 ? 1 : 0

  alarm_name          = "${var.name}-no-etl-success"
  alarm_description   = "No ETL run succeeded for ${var.etl_alarm_hours} hours: the tables are not being built. See docs/operations.md."
  namespace           = local.metrics_namespace
  metric_name         = "EtlRunsSucceeded"
  dimensions          = { FunctionName = module.etl.function_name }
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = var.etl_alarm_hours
  datapoints_to_alarm = var.etl_alarm_hours
  threshold           = 1
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = local.alarm_topic
  ok_actions          = local.alarm_topic
}

resource "aws_cloudwatch_metric_alarm" "webhook_failing" {
  count = local.webhook_check ? 1 : 0

  alarm_name          = "${var.name}-webhook-failing"
  alarm_description   = "Two webhook checks in a row found Telegram failing to deliver: a recent delivery error, or the bot's webhook is not ${module.webhook_api.webhook_url}. See docs/operations.md."
  namespace           = local.metrics_namespace
  metric_name         = "WebhookDeliveryFailing"
  dimensions          = { FunctionName = local.webhook_check_fn }
  statistic           = "Maximum"
  period              = var.webhook_check_minutes * 60
  evaluation_periods  = 2
  datapoints_to_alarm = 2 # one failed delivery that Telegram's retry fixed is not worth a page
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching" # a check that did not run fires its function's error alarm
  alarm_actions       = local.alarm_topic
  ok_actions          = local.alarm_topic
}

# ---- dashboard

resource "aws_cloudwatch_dashboard" "this" {
  count = var.create_dashboard ? 1 : 0

  dashboard_name = var.name
  dashboard_body = jsonencode({
    widgets = concat([
      {
        type = "text", x = 0, y = 0, width = 24, height = 2
        properties = {
          markdown = "**${var.name}**: Telegram -> webhook -> raw bucket -> nightly ETL -> Athena. What each alarm means and what to do: docs/operations.md in the repository."
        }
      },
      {
        type = "metric", x = 0, y = 2, width = 12, height = 6
        properties = {
          title  = "Deliveries: webhook requests and updates stored (per hour)"
          region = var.region
          stat   = "Sum"
          period = 3600
          view   = "timeSeries"
          metrics = [
            ["AWS/ApiGateway", "Count", "ApiId", module.webhook_api.api_id, { label = "webhook requests" }],
            [local.metrics_namespace, "UpdatesStored", "FunctionName", module.ingest.function_name, { label = "updates stored" }],
          ]
        }
      },
      {
        type = "metric", x = 12, y = 2, width = 12, height = 6
        properties = {
          title  = "Errors (per hour)"
          region = var.region
          stat   = "Sum"
          period = 3600
          view   = "timeSeries"
          metrics = concat(
            [
              ["AWS/ApiGateway", "5xx", "ApiId", module.webhook_api.api_id, { label = "webhook 5xx" }],
              ["AWS/ApiGateway", "4xx", "ApiId", module.webhook_api.api_id, { label = "webhook 4xx" }],
            ],
            [for fn in local.functions : ["AWS/Lambda", "Errors", "FunctionName", fn, { label = "${fn} errors" }]],
            [["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", aws_sqs_queue.dlq.name, { stat = "Maximum", label = "failed runs waiting" }]],
          )
        }
      },
      {
        type = "metric", x = 0, y = 8, width = 12, height = 6
        properties = {
          title  = "Nightly ETL: duration and rows written (per day)"
          region = var.region
          period = 86400
          view   = "timeSeries"
          metrics = [
            ["AWS/Lambda", "Duration", "FunctionName", module.etl.function_name, { stat = "Maximum", label = "longest run (ms)" }],
            [local.metrics_namespace, "EtlRows", "FunctionName", module.etl.function_name, { stat = "Sum", label = "rows written", yAxis = "right" }],
            [local.metrics_namespace, "EtlRunsSucceeded", "FunctionName", module.etl.function_name, { stat = "Sum", label = "successful runs", yAxis = "right" }],
          ]
        }
      },
      {
        type = "metric", x = 12, y = 8, width = 12, height = 6
        properties = {
          title  = "Athena: bytes scanned in workgroup ${module.catalog.workgroup_name} (per day)"
          region = var.region
          period = 86400
          view   = "timeSeries"
          # Athena keeps one series per query state and type: add them up.
          metrics = [
            [{ id = "scanned", label = "bytes scanned", expression = "SUM(SEARCH('Namespace=\"AWS/Athena\" MetricName=\"ProcessedBytes\" WorkGroup=\"${module.catalog.workgroup_name}\"', 'Sum', 86400))" }],
          ]
        }
      },
      {
        type = "alarm", x = 12, y = 14, width = 12, height = 6
        properties = {
          title  = "Alarms"
          alarms = local.alarm_arns
        }
      },
    ], local.webhook_check_widget)
  })
}

locals {
  alarm_arns = concat(
    aws_cloudwatch_metric_alarm.silence[*].arn,
    aws_cloudwatch_metric_alarm.etl_stale[*].arn,
    aws_cloudwatch_metric_alarm.webhook_failing[*].arn,
    [aws_cloudwatch_metric_alarm.dlq.arn],
    [aws_cloudwatch_metric_alarm.etl_shards_failed.arn, aws_cloudwatch_metric_alarm.etl_near_timeout.arn, module.etl_shards.error_alarm_arn],
    [for a in aws_cloudwatch_metric_alarm.firehose : a.arn],
    [module.ingest.error_alarm_arn, module.etl.error_alarm_arn, module.import.error_alarm_arn, module.repair.error_alarm_arn],
    module.webhook_check[*].error_alarm_arn,
  )
  webhook_check_widget = local.webhook_check ? [{
    type = "metric", x = 0, y = 14, width = 12, height = 6
    properties = {
      title  = "Telegram's side: pending updates and delivery failing (each check)"
      region = var.region
      stat   = "Maximum"
      period = var.webhook_check_minutes * 60
      view   = "timeSeries"
      metrics = [
        [local.metrics_namespace, "WebhookPendingUpdates", "FunctionName", local.webhook_check_fn, { label = "pending updates" }],
        [local.metrics_namespace, "WebhookDeliveryFailing", "FunctionName", local.webhook_check_fn, { label = "delivery failing (1)", yAxis = "right" }],
      ]
    }
  }] : []
}
