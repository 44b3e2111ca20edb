# A day too big for one ETL run is built in shards (docs/aws.md, "Days built in shards"): the ETL
# function hands it to this state machine, a Step Functions Standard workflow, which runs
#   BuildShards: an inline Map over the day's shards, each an invocation of the shard function
#   Publish:     the shard function merges the shards into the day's files, at once
#   Register:    the repair function registers the day's partitions
# (tgpipe.build.fanout). The shard function is the ETL's zip without its reserved concurrency,
# so the shards run at once; the Map's MaxConcurrency bounds them. A failed execution leaves the
# day's files as they were and fires the alarm below. Unused, it costs nothing.

locals {
  staging_prefix = "_tgpipe/staging/" # tgpipe.store.layout.STAGING_PREFIX
  lambda_retry = [{
    ErrorEquals     = ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"]
    IntervalSeconds = 2
    MaxAttempts     = 6
    BackoffRate     = 2
  }]
  shards_definition = {
    Comment = "Build a day's tables in shards, then publish them together (tgpipe.build.fanout)"
    StartAt = "BuildShards"
    States = {
      BuildShards = {
        Type           = "Map"
        ItemsPath      = "$.shards"
        MaxConcurrency = var.etl_shard_concurrency
        ItemProcessor = {
          ProcessorConfig = { Mode = "INLINE" }
          StartAt         = "BuildShard"
          States = {
            BuildShard = {
              Type           = "Task"
              Resource       = "arn:${data.aws_partition.current.partition}:states:::lambda:invoke"
              Parameters     = { FunctionName = module.etl_shards.function_arn, Payload = { "shard.$" = "$" } }
              ResultSelector = { "result.$" = "$.Payload" }
              OutputPath     = "$.result"
              Retry          = local.lambda_retry
              End            = true
            }
          }
        }
        ResultPath = "$.built"
        Next       = "Publish"
      }
      Publish = {
        Type           = "Task"
        Resource       = "arn:${data.aws_partition.current.partition}:states:::lambda:invoke"
        Parameters     = { FunctionName = module.etl_shards.function_arn, Payload = { "publish.$" = "$" } }
        ResultSelector = { "partitions.$" = "$.Payload.partitions" }
        Retry          = local.lambda_retry
        Next           = "Register"
      }
      Register = {
        Type       = "Task"
        Resource   = "arn:${data.aws_partition.current.partition}:states:::lambda:invoke"
        Parameters = { FunctionName = module.repair.function_arn, Payload = { "partitions.$" = "$.partitions" } }
        Retry      = local.lambda_retry
        End        = true
      }
    }
  }
}

module "etl_shards" {
  source = "./modules/function"

  function_name      = "${var.name}-etl-shards"
  description        = "The shards of a day too big for one ETL run, and their publishing (the state machine ${var.name}-etl-shards)"
  filename           = "${local.dist_dir}/etl.zip"
  architecture       = var.architecture
  memory_size        = var.etl_memory_mb
  timeout            = var.etl_timeout_seconds
  layers             = [aws_lambda_layer_version.pyarrow.arn]
  log_retention_days = var.log_retention_days
  policy_json        = data.aws_iam_policy_document.etl_shards.json
  alarm_actions      = local.alarm_topic

  environment = merge(
    {
      RAW_STORE      = local.raw_store
      ENRICHED_STORE = local.enriched_store
      TIMEZONE       = var.timezone
    },
    { for p in aws_ssm_parameter.pseudonym_key : "PSEUDONYMIZE_KEY_PARAMETER" => p.name },
    var.pseudonymize ? { PSEUDONYMIZE = "1", PSEUDONYMIZE_KEY_VERSION = tostring(var.pseudonymize_key_version) } : {},
  )
}

# The shard function: read the day's raw data, stage its shard, publish the day's tables.
data "aws_iam_policy_document" "etl_shards" {
  source_policy_documents = [data.aws_iam_policy_document.build_days.json]

  statement {
    sid       = "StageAndPublishTables"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = ["${module.enriched.bucket_arn}/${local.staging_prefix}*"]
  }
}

data "aws_iam_policy_document" "states_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "etl_shards_states" {
  name               = "${var.name}-etl-shards-states"
  assume_role_policy = data.aws_iam_policy_document.states_assume.json
}

data "aws_iam_policy_document" "etl_shards_states" {
  statement {
    sid       = "InvokeShardsAndRepair"
    actions   = ["lambda:InvokeFunction"]
    resources = [module.etl_shards.function_arn, "${module.etl_shards.function_arn}:*", module.repair.function_arn, "${module.repair.function_arn}:*"]
  }

  # What CloudWatch Logs delivery of a state machine's log needs (these actions take no resource).
  statement {
    sid = "DeliverExecutionLogs"
    actions = [
      "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
      "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "etl_shards_states" {
  name   = "invoke-shards"
  role   = aws_iam_role.etl_shards_states.id
  policy = data.aws_iam_policy_document.etl_shards_states.json
}

resource "aws_cloudwatch_log_group" "etl_shards_states" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest with AWS-owned keys; the executions' data are day names, counts and staging keys, so a paid CMK adds nothing.
  #checkov:skip=CKV_AWS_338:Retention is a variable (default 30 days): a year of execution logs costs more than it helps a small pipeline.
  name              = "/aws/vendedlogs/states/${var.name}-etl-shards"
  retention_in_days = var.log_retention_days
}

resource "aws_sfn_state_machine" "etl_shards" {
  #checkov:skip=CKV_AWS_284:X-Ray tracing is off, as for the functions: the execution history and its log show each step, and tracing adds cost.
  name       = "${var.name}-etl-shards"
  role_arn   = aws_iam_role.etl_shards_states.arn
  type       = "STANDARD"
  definition = jsonencode(local.shards_definition)

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.etl_shards_states.arn}:*"
    include_execution_data = true # day names, counts and staging keys: no update's content
    level                  = "ERROR"
  }

  depends_on = [aws_iam_role_policy.etl_shards_states]
}

resource "aws_cloudwatch_metric_alarm" "etl_shards_failed" {
  alarm_name          = "${var.name}-etl-shards-failed"
  alarm_description   = "A day built in shards failed (the state machine ${var.name}-etl-shards): its tables stay as they were. See docs/operations.md."
  namespace           = "AWS/States"
  metric_name         = "ExecutionsFailed"
  dimensions          = { StateMachineArn = aws_sfn_state_machine.etl_shards.arn }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_topic
  ok_actions          = local.alarm_topic
}

# A run near Lambda's 15 minutes: the days it builds whole are nearly too big for one run (lower
# ETL_UPDATES_PER_SHARD, or the rebuild of many days wants a range split into several events).
resource "aws_cloudwatch_metric_alarm" "etl_near_timeout" {
  alarm_name          = "${var.name}-etl-near-timeout"
  alarm_description   = "An ETL run took more than 80% of its ${var.etl_timeout_seconds} s: a day nears what one run builds. See docs/aws.md and docs/operations.md."
  namespace           = local.metrics_namespace
  metric_name         = "EtlRunSeconds"
  dimensions          = { FunctionName = module.etl.function_name }
  statistic           = "Maximum"
  period              = 3600
  evaluation_periods  = 1
  threshold           = 0.8 * var.etl_timeout_seconds
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_topic
  ok_actions          = local.alarm_topic
}
