# capture = "firehose": the ingest function hands each update to an Amazon Data Firehose Direct PUT
# stream instead of writing one S3 object per update (docs/aws.md, "Batched capture"). The stream
# writes GZIP JSON lines (tgpipe.store.batches) under batches/context_date=YYYY-MM-DD/ of the raw
# bucket: dynamic partitioning with inline JQ parsing of the context_date the ingest function puts
# in each record (it knows the day: the update's own time in TIMEZONE; JQ could not compute it).

locals {
  firehose       = var.capture == "firehose"
  batches_prefix = "batches/"         # tgpipe.store.layout.BATCH_PREFIX
  errors_prefix  = "firehose-errors/" # records Firehose could not partition or deliver
  stream_name    = "${var.name}-updates"
}

resource "aws_cloudwatch_log_group" "firehose" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest with AWS-owned keys; delivery errors hold no secrets, so a paid CMK adds nothing.
  #checkov:skip=CKV_AWS_338:Retention is a variable (default 30 days): a year of delivery logs costs more than it helps a small pipeline.
  count = local.firehose ? 1 : 0

  name              = "/aws/kinesisfirehose/${local.stream_name}"
  retention_in_days = var.log_retention_days
}

resource "aws_cloudwatch_log_stream" "firehose_s3" {
  count = local.firehose ? 1 : 0

  name           = "DestinationDelivery"
  log_group_name = aws_cloudwatch_log_group.firehose[0].name
}

data "aws_iam_policy_document" "firehose_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["firehose.amazonaws.com"]
    }
    # Only this account's streams may use the role (confused deputy).
    condition {
      test     = "StringEquals"
      variable = "sts:ExternalId"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "firehose" {
  count = local.firehose ? 1 : 0

  name               = "${var.name}-firehose-delivery"
  assume_role_policy = data.aws_iam_policy_document.firehose_assume.json
}

# What delivering to S3 needs (AWS's "Grant Firehose access to an Amazon S3 destination"), scoped to
# the two prefixes it writes; no GetObject (it never reads) and no KMS (SSE-S3 bucket).
data "aws_iam_policy_document" "firehose_delivery" {
  count = local.firehose ? 1 : 0

  statement {
    sid       = "LocateBucket"
    actions   = ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"]
    resources = [module.raw.bucket_arn]
  }

  statement {
    sid     = "WriteBatchesAndErrors"
    actions = ["s3:PutObject", "s3:AbortMultipartUpload"]
    resources = [
      "${module.raw.bucket_arn}/${local.batches_prefix}*",
      "${module.raw.bucket_arn}/${local.errors_prefix}*",
    ]
  }

  statement {
    sid       = "LogDeliveryErrors"
    actions   = ["logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.firehose[0].arn}:log-stream:*"]
  }
}

resource "aws_iam_role_policy" "firehose_delivery" {
  count = local.firehose ? 1 : 0

  name   = "deliver-to-raw-bucket"
  role   = aws_iam_role.firehose[0].id
  policy = data.aws_iam_policy_document.firehose_delivery[0].json
}

resource "aws_kinesis_firehose_delivery_stream" "updates" {
  #checkov:skip=CKV_AWS_241:Encrypted with an AWS owned key (CKV_AWS_240 passes); a customer managed key costs a monthly fee and protects nothing more here.
  count = local.firehose ? 1 : 0

  name        = local.stream_name
  destination = "extended_s3"

  # Encrypted at rest while Firehose holds the records (AWS owned key: no key to pay for).
  server_side_encryption {
    enabled  = true
    key_type = "AWS_OWNED_CMK"
  }

  extended_s3_configuration {
    role_arn   = aws_iam_role.firehose[0].arn
    bucket_arn = module.raw.bucket_arn

    prefix              = "${local.batches_prefix}context_date=!{partitionKeyFromQuery:context_date}/"
    error_output_prefix = "${local.errors_prefix}!{firehose:error-output-type}/!{timestamp:yyyy-MM-dd}/"
    compression_format  = "GZIP"
    file_extension      = ".jsonl.gz" # tgpipe.store.layout.is_batch_key
    custom_time_zone    = var.timezone
    # The most records per object, and a day's last records in S3 at most ~1.5 intervals after
    # midnight (Firehose's multi-stage buffering), well before the ETL's schedule.
    buffering_size     = var.firehose_buffer_mb
    buffering_interval = var.firehose_buffer_seconds

    dynamic_partitioning_configuration {
      enabled        = true
      retry_duration = 3600
    }

    # The producer ends each record with "\n" (no AppendDelimiterToRecord, or lines double).
    processing_configuration {
      enabled = true

      processors {
        type = "MetadataExtraction"
        parameters {
          parameter_name  = "MetadataExtractionQuery"
          parameter_value = "{context_date: .context_date}"
        }
        parameters {
          parameter_name  = "JsonParsingEngine"
          parameter_value = "JQ-1.6"
        }
      }
    }

    cloudwatch_logging_options {
      enabled         = true
      log_group_name  = aws_cloudwatch_log_group.firehose[0].name
      log_stream_name = aws_cloudwatch_log_stream.firehose_s3[0].name
    }
  }

  depends_on = [aws_iam_role_policy.firehose_delivery]
}

# ---- alarms on delivery: Firehose keeps Direct PUT records 24 hours while S3 refuses them

locals {
  firehose_alarms = local.firehose ? {
    # Fraction of S3 deliveries that succeeded, per 5 minutes: below 1 means some failed.
    delivery-failing = {
      metric      = "DeliveryToS3.Success", statistic = "Minimum", threshold = 1, comparison = "LessThanThreshold"
      description = "Firehose failed to deliver a batch of updates to the raw bucket (see the stream's DestinationDelivery log). Records wait 24 hours at most. See docs/operations.md."
    }
    # Age of the oldest record not yet in S3: above twice the buffer interval, delivery is stuck.
    delivery-late = {
      metric      = "DeliveryToS3.DataFreshness", statistic = "Maximum", threshold = 2 * var.firehose_buffer_seconds
      comparison  = "GreaterThanThreshold"
      description = "Updates have waited in Firehose more than twice the buffer interval: delivery to the raw bucket is stuck. Records wait 24 hours at most."
    }
    # Records refused at PutRecord: the webhook answered 503 and Telegram retries.
    throttled = {
      metric      = "ThrottledRecords", statistic = "Sum", threshold = 0, comparison = "GreaterThanThreshold"
      description = "Firehose throttled PutRecord: Telegram retries, but the stream's quota is too small."
    }
    # More day prefixes in the buffer than the stream may hold: records went to the error prefix.
    partitions-exceeded = {
      metric      = "PartitionCountExceeded", statistic = "Maximum", threshold = 0, comparison = "GreaterThanThreshold"
      description = "More active partitions than allowed: records went to ${local.errors_prefix} (activePartitionExceeded)."
    }
  } : {}
}

resource "aws_cloudwatch_metric_alarm" "firehose" {
  for_each = local.firehose_alarms

  alarm_name          = "${var.name}-firehose-${each.key}"
  alarm_description   = each.value.description
  namespace           = "AWS/Firehose"
  metric_name         = each.value.metric
  dimensions          = { DeliveryStreamName = aws_kinesis_firehose_delivery_stream.updates[0].name }
  statistic           = each.value.statistic
  period              = 300
  evaluation_periods  = 1
  threshold           = each.value.threshold
  comparison_operator = each.value.comparison
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_topic
  ok_actions          = local.alarm_topic
}
