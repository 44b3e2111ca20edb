# What each function may do besides writing its own logs (the function module adds that): only its
# buckets' prefixes and only the actions its code calls.

locals {
  arn_prefix  = "arn:${data.aws_partition.current.partition}"
  glue_prefix = "${local.arn_prefix}:glue:${var.region}:${local.account_id}"
  glue_resources = concat(
    ["${local.glue_prefix}:catalog", "${local.glue_prefix}:database/${local.glue_database}"],
    [for table in keys(local.glue_tables) : "${local.glue_prefix}:table/${local.glue_database}/${table}"],
  )
  table_prefixes = [for table in keys(local.glue_tables) : "${table}/"]
  # The raw bucket's data (tgpipe.store.layout: RAW_DAY_FOLDERS and EXPORTS_PREFIX): what raw retention expires.
  raw_data_prefixes = ["telegram/", "batches/", "firehose-errors/", "quarantine/", "imported/", "exports/"]
  # Where a store records the settings its keys depend on (tgpipe.store.layout.SETTINGS_KEY): written by
  # the first function that writes the store, read by every one that writes it later.
  settings_key = "_tgpipe/settings.json"
  # The ETL's record of its newest run in the enriched bucket (tgpipe.store.layout.LAST_ETL_RUN_KEY), which
  # `tgpipe status` reads.
  etl_run_key = "_tgpipe/last_etl_run.json"
  # The people and chats `tgpipe forget` removed (tgpipe.store.layout.FORGOTTEN_KEY): every function that
  # takes data in reads it, so that they stay out.
  forgotten_key = "_tgpipe/forgotten.json"
  # Empty markers of the messages that carried the opt-out hashtag (tgpipe.store.layout.OPTOUT_PREFIX),
  # so that their edits stay out too.
  optout_prefix = "optout/"
}

data "aws_iam_policy_document" "ingest" {
  statement {
    sid     = "StoreUpdates"
    actions = ["s3:PutObject"]
    resources = [
      "${module.raw.bucket_arn}/telegram/*",
      "${module.raw.bucket_arn}/quarantine/*",
    ]
  }

  statement {
    sid       = "RecordStoreSettings"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["${module.raw.bucket_arn}/${local.settings_key}"]
  }

  statement {
    sid       = "ReadForgottenList"
    actions   = ["s3:GetObject"]
    resources = ["${module.raw.bucket_arn}/${local.forgotten_key}"]
  }

  statement {
    sid       = "MarkOptedOutMessages"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["${module.raw.bucket_arn}/${local.optout_prefix}*"]
  }

  # Without ListBucket, S3 answers 403 instead of 404 for the settings record before it exists
  # (and for the forgotten list and an opt-out marker that do not exist).
  statement {
    sid       = "FindStoreSettings"
    actions   = ["s3:ListBucket"]
    resources = [module.raw.bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = [local.settings_key, local.forgotten_key, "${local.optout_prefix}*"]
    }
  }

  statement {
    sid       = "ReadWebhookSecret"
    actions   = ["ssm:GetParameter"]
    resources = [aws_ssm_parameter.webhook_secret.arn]
  }

  # capture = "firehose": the one call it makes, on the one stream (a record too big for Firehose
  # is stored under telegram/ as in objects mode).
  dynamic "statement" {
    for_each = aws_kinesis_firehose_delivery_stream.updates[*].arn

    content {
      sid       = "HandUpdatesToFirehose"
      actions   = ["firehose:PutRecord"]
      resources = [statement.value]
    }
  }
}

# What building a day takes, whole (the ETL function) or in shards (tgpipe-etl-shards, shards.tf):
# list and read the raw updates and the forgotten list, set aside what cannot be read, list and
# write the tables.
data "aws_iam_policy_document" "build_days" {
  statement {
    sid       = "ListRawUpdates"
    actions   = ["s3:ListBucket"]
    resources = [module.raw.bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["telegram/*", "batches/*", "imported/*", local.forgotten_key]
    }
  }

  statement {
    sid       = "ListTables"
    actions   = ["s3:ListBucket"]
    resources = [module.enriched.bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = [for prefix in local.table_prefixes : "${prefix}*"]
    }
  }

  statement {
    sid     = "ReadRawUpdates"
    actions = ["s3:GetObject"]
    resources = [
      "${module.raw.bucket_arn}/telegram/*",
      "${module.raw.bucket_arn}/batches/*",
      "${module.raw.bucket_arn}/imported/*",
      "${module.raw.bucket_arn}/${local.forgotten_key}",
    ]
  }

  # With pseudonymize: the key, as the ingest function reads its webhook secret (aws/ssm needs no kms:Decrypt).
  dynamic "statement" {
    for_each = aws_ssm_parameter.pseudonym_key[*].arn

    content {
      sid       = "ReadPseudonymKey"
      actions   = ["ssm:GetParameter"]
      resources = [statement.value]
    }
  }

  statement {
    sid       = "QuarantineUnreadableUpdates"
    actions   = ["s3:PutObject"]
    resources = ["${module.raw.bucket_arn}/quarantine/*"]
  }

  statement {
    sid       = "WriteTables"
    actions   = ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = [for prefix in local.table_prefixes : "${module.enriched.bucket_arn}/${prefix}*"]
  }
}

data "aws_iam_policy_document" "etl" {
  source_policy_documents = [data.aws_iam_policy_document.build_days.json]

  statement {
    sid       = "FindStoreSettings"
    actions   = ["s3:ListBucket"]
    resources = [module.raw.bucket_arn, module.enriched.bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = [local.settings_key]
    }
  }

  statement {
    sid       = "RecordStoreSettings"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["${module.raw.bucket_arn}/${local.settings_key}", "${module.enriched.bucket_arn}/${local.settings_key}"]
  }

  statement {
    sid       = "RecordEtlRun"
    actions   = ["s3:PutObject"]
    resources = ["${module.enriched.bucket_arn}/${local.etl_run_key}"]
  }

  statement {
    sid       = "HandBigDaysToShards"
    actions   = ["states:StartExecution"]
    resources = [aws_sfn_state_machine.etl_shards.arn]
  }

  statement {
    sid       = "SendResultToRepair"
    actions   = ["lambda:InvokeFunction"]
    resources = [module.repair.function_arn, "${module.repair.function_arn}:*"]
  }

  statement {
    sid       = "SendFailureToDeadLetterQueue"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq.arn]
  }
}

data "aws_iam_policy_document" "import" {
  statement {
    sid       = "TakeExportsFromInbox"
    actions   = ["s3:GetObject", "s3:DeleteObject"]
    resources = ["${module.raw.bucket_arn}/import/*"]
  }

  statement {
    sid       = "StoreExportsAndTheirMessages"
    actions   = ["s3:PutObject", "s3:AbortMultipartUpload"]
    resources = ["${module.raw.bucket_arn}/exports/*", "${module.raw.bucket_arn}/imported/*"]
  }

  statement {
    sid       = "RecordStoreSettings"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["${module.raw.bucket_arn}/${local.settings_key}"]
  }

  statement {
    sid       = "ReadForgottenList"
    actions   = ["s3:GetObject"]
    resources = ["${module.raw.bucket_arn}/${local.forgotten_key}"]
  }

  # Whether an export was imported before (exports/), and the settings record and the forgotten
  # list (403 without it).
  statement {
    sid       = "FindExportsAndSettings"
    actions   = ["s3:ListBucket"]
    resources = [module.raw.bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["exports/*", "import/*", local.settings_key, local.forgotten_key]
    }
  }

  statement {
    sid       = "BuildImportedDays"
    actions   = ["lambda:InvokeFunction"]
    resources = [module.etl.function_arn, "${module.etl.function_arn}:*"]
  }

  statement {
    sid       = "SendFailureToDeadLetterQueue"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq.arn]
  }
}

data "aws_iam_policy_document" "repair" {
  statement {
    sid = "RegisterPartitions"
    actions = [
      "glue:GetDatabase",
      "glue:GetTable",
      "glue:GetPartition",
      "glue:GetPartitions",
      "glue:BatchCreatePartition",
      "glue:CreatePartition",
    ]
    resources = local.glue_resources
  }

  statement {
    sid       = "ListStoredDays"
    actions   = ["s3:ListBucket"]
    resources = [module.enriched.bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = [for prefix in local.table_prefixes : "${prefix}*"]
    }
  }

  # MSCK REPAIR TABLE runs in Athena with the caller's rights: it lists the tables' folders and
  # writes its result to the workgroup's results bucket.
  statement {
    sid       = "RunMsckInWorkgroup"
    actions   = ["athena:StartQueryExecution", "athena:GetQueryExecution", "athena:StopQueryExecution"]
    resources = ["${local.arn_prefix}:athena:${var.region}:${local.account_id}:workgroup/${module.catalog.workgroup_name}"]
  }

  statement {
    sid       = "LocateBuckets"
    actions   = ["s3:GetBucketLocation"]
    resources = [module.enriched.bucket_arn, module.athena_results.bucket_arn]
  }

  statement {
    sid       = "WriteQueryResults"
    actions   = ["s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"]
    resources = [module.athena_results.bucket_arn, "${module.athena_results.bucket_arn}/*"]
  }

  statement {
    sid       = "SendFailureToDeadLetterQueue"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq.arn]
  }
}

data "aws_iam_policy_document" "webhook_check" {
  # Its metrics go out in its log lines (Embedded Metric Format), so no cloudwatch:PutMetricData.
  statement {
    sid       = "ReadBotToken"
    actions   = ["ssm:GetParameter"]
    resources = [aws_ssm_parameter.bot_token.arn]
  }
}
