# tgpipe on AWS: Telegram -> HTTP API -> ingest Lambda -> raw bucket; a daily schedule -> ETL
# Lambda -> Parquet in the enriched bucket -> (on success) repair Lambda -> Glue partitions; Athena
# over the Glue tables; a webhook check every few minutes. Alarms on silence, stale tables and
# delivery errors, and the dashboard, are in monitoring.tf. See README.md next to this file.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  dist_dir   = var.dist_dir != "" ? var.dist_dir : "${path.module}/../dist"
  # Bucket names are global: the account and region make them unique.
  bucket_suffix = "${local.account_id}-${var.region}"
  glue_database = replace(var.name, "-", "_")
  # The opt-out hashtag, for the functions that take updates in (ingest, import); unset when off.
  optout_env = var.optout_hashtag == "" ? {} : { TELEGRAM_OPTOUT_HASHTAG = var.optout_hashtag }

  # Columns come from the Arrow schema (make schema); never written by hand here.
  glue_tables = jsondecode(file("${path.module}/generated/glue_tables.json"))

  # One saved query per NN_name.sql of the package's named queries (the files `tgpipe query` runs):
  # name without NN_ and .sql, description from the first line's comment, the file's text as the query.
  queries_dir = "${path.module}/../src/tgpipe/query/queries"
  named_queries = {
    for file in fileset(local.queries_dir, "*.sql") : regex("^[0-9]+_(.+)\\.sql$", file)[0] => {
      description = trimspace(trimprefix(split("\n", file("${local.queries_dir}/${file}"))[0], "--"))
      query       = file("${local.queries_dir}/${file}")
    }
  }

  raw_store      = "s3://${module.raw.bucket_name}"
  enriched_store = "s3://${module.enriched.bucket_name}"

  webhook_check = var.webhook_check_minutes > 0
}

# ---- storage

module "raw" {
  source = "./modules/bucket"

  bucket                             = "${var.name}-raw-${local.bucket_suffix}"
  force_destroy                      = var.force_destroy
  versioning                         = true
  noncurrent_version_expiration_days = var.raw_noncurrent_days
  expiration_days                    = var.raw_expiration_days
  retention_days                     = var.raw_retention_days
  retention_prefixes                 = local.raw_data_prefixes
}

module "enriched" {
  source = "./modules/bucket"

  bucket                             = "${var.name}-enriched-${local.bucket_suffix}"
  force_destroy                      = var.force_destroy
  versioning                         = true
  noncurrent_version_expiration_days = 7
  retention_days                     = var.enriched_retention_days
  retention_prefixes                 = local.table_prefixes
}

module "athena_results" {
  source = "./modules/bucket"

  bucket          = "${var.name}-athena-results-${local.bucket_suffix}"
  force_destroy   = true # query results only
  expiration_days = var.athena_results_expiration_days
}

# ---- secrets (SSM SecureString with the AWS-managed key alias/aws/ssm)

resource "aws_ssm_parameter" "bot_token" {
  #checkov:skip=CKV_AWS_337:The AWS-managed key aws/ssm is free and lets principals of this account with ssm:GetParameter on this parameter decrypt it; a customer managed key costs a monthly fee.
  name        = "/${var.name}/telegram/bot-token"
  description = "Telegram bot token of ${var.name} (for setWebhook)"
  type        = "SecureString"
  value       = var.telegram_bot_token
}

resource "aws_ssm_parameter" "webhook_secret" {
  #checkov:skip=CKV_AWS_337:The AWS-managed key aws/ssm is free and lets principals of this account with ssm:GetParameter on this parameter decrypt it; a customer managed key costs a monthly fee.
  name        = "/${var.name}/telegram/webhook-secret"
  description = "Secret Telegram sends in X-Telegram-Bot-Api-Secret-Token to ${var.name}'s webhook"
  type        = "SecureString"
  value       = var.webhook_secret
}

# The pseudonyms' key: write-only (value_wo), so neither the state nor a plan holds it. The ETL reads
# it at run time. Without pseudonymize_key it is a random one (drawn on every run, as ephemeral values
# are, and written only when value_wo_version changes: a new version is a new key, and every
# pseudonym changes). Its count cannot depend on pseudonymize_key, an ephemeral value.
ephemeral "aws_secretsmanager_random_password" "pseudonym_key" {
  count = var.pseudonymize ? 1 : 0

  password_length     = 48
  exclude_punctuation = true
}

resource "aws_ssm_parameter" "pseudonym_key" {
  #checkov:skip=CKV_AWS_337:The AWS-managed key aws/ssm is free and lets principals of this account with ssm:GetParameter on this parameter decrypt it; a customer managed key costs a monthly fee.
  count = var.pseudonymize ? 1 : 0

  name             = "/${var.name}/pseudonym-key"
  description      = "Secret key of ${var.name}'s pseudonymised tables (HMAC of user ids)"
  type             = "SecureString"
  value_wo         = coalesce(var.pseudonymize_key, one(ephemeral.aws_secretsmanager_random_password.pseudonym_key[*].random_password))
  value_wo_version = var.pseudonymize_key_version
}

# ---- failures: dead-letter queue, alarms

resource "aws_sqs_queue" "dlq" {
  name                      = "${var.name}-failed"
  message_retention_seconds = 1209600 # 14 days, the most SQS keeps
  sqs_managed_sse_enabled   = true
}

resource "aws_sns_topic" "alarms" {
  #checkov:skip=CKV_AWS_26:CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed key aws/sns, alarm messages hold no secrets, and a customer managed key costs a monthly fee.
  name = "${var.name}-alarms"
}

resource "aws_sns_topic_subscription" "alarm_email" {
  count = var.alarm_email == "" ? 0 : 1

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

resource "aws_cloudwatch_metric_alarm" "dlq" {
  alarm_name          = "${var.name}-failed-runs"
  alarm_description   = "A scheduled run failed after its retries: its event waits in the ${aws_sqs_queue.dlq.name} queue."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dlq.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_topic
  ok_actions          = local.alarm_topic
}

# ---- functions

resource "aws_lambda_layer_version" "pyarrow" {
  layer_name               = "${var.name}-pyarrow-${var.architecture}"
  description              = "pyarrow for the ETL (python3.12, ${var.architecture})"
  filename                 = "${local.dist_dir}/pyarrow-layer-${var.architecture}.zip"
  source_code_hash         = filebase64sha256("${local.dist_dir}/pyarrow-layer-${var.architecture}.zip")
  compatible_runtimes      = ["python3.12"]
  compatible_architectures = [var.architecture]
}

module "ingest" {
  source = "./modules/function"

  function_name                  = "${var.name}-ingest"
  description                    = "Telegram webhook: checks the secret and stores each update in the raw bucket"
  filename                       = "${local.dist_dir}/ingest.zip"
  architecture                   = var.architecture
  memory_size                    = var.ingest_memory_mb
  timeout                        = var.ingest_timeout_seconds
  reserved_concurrent_executions = var.ingest_reserved_concurrency
  log_retention_days             = var.log_retention_days
  policy_json                    = data.aws_iam_policy_document.ingest.json
  alarm_actions                  = local.alarm_topic

  environment = merge(
    {
      RAW_STORE = local.raw_store
      TIMEZONE  = var.timezone
      # name:version, so a new secret changes the configuration and fresh containers read it.
      TELEGRAM_WEBHOOK_SECRET_PARAMETER = "${aws_ssm_parameter.webhook_secret.name}:${aws_ssm_parameter.webhook_secret.version}"
      TELEGRAM_ALLOWED_CHAT_IDS         = join(",", var.allowed_chat_ids)
      MAX_BODY_BYTES                    = tostring(var.max_body_bytes)
    },
    local.optout_env,
    # capture = "firehose": updates go to the stream (tgpipe.capture.batched), not one object each.
    { for s in aws_kinesis_firehose_delivery_stream.updates : "FIREHOSE_STREAM" => s.name },
  )
}

module "etl" {
  source = "./modules/function"

  function_name                  = "${var.name}-etl"
  description                    = "Daily: raw updates of a day -> Parquet tables in the enriched bucket"
  filename                       = "${local.dist_dir}/etl.zip"
  architecture                   = var.architecture
  memory_size                    = var.etl_memory_mb
  timeout                        = var.etl_timeout_seconds
  reserved_concurrent_executions = var.etl_reserved_concurrency
  layers                         = [aws_lambda_layer_version.pyarrow.arn]
  log_retention_days             = var.log_retention_days
  policy_json                    = data.aws_iam_policy_document.etl.json
  alarm_actions                  = local.alarm_topic

  environment = merge(
    {
      RAW_STORE      = local.raw_store
      ENRICHED_STORE = local.enriched_store
      TIMEZONE       = var.timezone
      ETL_LATE_DAYS  = tostring(var.etl_late_days)
      # A day too big for one run goes to the shards' state machine (shards.tf).
      ETL_UPDATES_PER_SHARD = tostring(var.etl_updates_per_shard)
      ETL_STATE_MACHINE     = aws_sfn_state_machine.etl_shards.arn
      # A run that fails terminally (a malformed event) is put here once instead of being retried.
      DEAD_LETTER_QUEUE_URL = aws_sqs_queue.dlq.url
    },
    # The key's version is not name:version as for the webhook secret: after a write-only value
    # changes, the provider shows the parameter's new version only on the next apply. The key
    # version, which nothing reads, changes the configuration in the same apply, so fresh
    # containers read the new key.
    { for p in aws_ssm_parameter.pseudonym_key : "PSEUDONYMIZE_KEY_PARAMETER" => p.name },
    var.pseudonymize ? { PSEUDONYMIZE = "1", PSEUDONYMIZE_KEY_VERSION = tostring(var.pseudonymize_key_version) } : {},
  )

  # The scheduler invokes asynchronously: the run's summary goes to the repair function, a run that
  # failed twice more goes to the dead-letter queue.
  create_async_config          = true
  async_maximum_retry_attempts = 2
  on_success_arn               = module.repair.function_arn
  on_failure_arn               = aws_sqs_queue.dlq.arn
}

module "import" {
  source = "./modules/function"

  function_name        = "${var.name}-import"
  description          = "Telegram Desktop exports put under import/ in the raw bucket -> stored, then built by the ETL"
  filename             = "${local.dist_dir}/import.zip"
  architecture         = var.architecture
  memory_size          = var.import_memory_mb
  timeout              = var.import_timeout_seconds
  ephemeral_storage_mb = var.import_storage_mb
  log_retention_days   = var.log_retention_days
  policy_json          = data.aws_iam_policy_document.import.json
  alarm_actions        = local.alarm_topic

  # Imported messages with the opt-out hashtag are left out, as the webhook leaves them out.
  environment = merge({
    RAW_STORE    = local.raw_store
    TIMEZONE     = var.timezone
    ETL_FUNCTION = module.etl.function_name
    # A file that is not an export is put here once instead of being retried.
    DEAD_LETTER_QUEUE_URL = aws_sqs_queue.dlq.url
  }, local.optout_env)

  # S3 invokes asynchronously: an import that failed twice more goes to the dead-letter queue
  # (the file stays in the inbox, to be put there again).
  create_async_config          = true
  async_maximum_retry_attempts = 2
  on_failure_arn               = aws_sqs_queue.dlq.arn
}

resource "aws_lambda_permission" "import_from_raw_bucket" {
  statement_id   = "ImportFromRawBucket"
  action         = "lambda:InvokeFunction"
  function_name  = module.import.function_name
  principal      = "s3.amazonaws.com"
  source_arn     = module.raw.bucket_arn
  source_account = local.account_id
}

resource "aws_s3_bucket_notification" "raw_import_inbox" {
  bucket = module.raw.bucket_name

  lambda_function {
    id                  = "import-telegram-desktop-exports"
    lambda_function_arn = module.import.function_arn
    events              = ["s3:ObjectCreated:*"]
    filter_prefix       = "import/" # tgpipe.store.layout.IMPORT_INBOX_PREFIX
  }

  depends_on = [aws_lambda_permission.import_from_raw_bucket]
}

module "repair" {
  source = "./modules/function"

  function_name      = "${var.name}-repair"
  description        = "Registers the partitions the ETL wrote in Glue (for engines without projection)"
  filename           = "${local.dist_dir}/repair.zip"
  architecture       = var.architecture
  memory_size        = var.repair_memory_mb
  timeout            = var.repair_timeout_seconds
  log_retention_days = var.log_retention_days
  policy_json        = data.aws_iam_policy_document.repair.json
  alarm_actions      = local.alarm_topic

  environment = {
    GLUE_DATABASE         = module.catalog.database_name
    ENRICHED_STORE        = local.enriched_store
    ATHENA_WORKGROUP      = module.catalog.workgroup_name
    TIMEZONE              = var.timezone
    DEAD_LETTER_QUEUE_URL = aws_sqs_queue.dlq.url
  }

  create_async_config          = true
  async_maximum_retry_attempts = 2
  on_failure_arn               = aws_sqs_queue.dlq.arn
}

module "webhook_check" {
  source = "./modules/function"
  count  = local.webhook_check ? 1 : 0

  function_name      = "${var.name}-webhook-check"
  description        = "Every ${var.webhook_check_minutes} min: getWebhookInfo -> pending updates and delivery errors as metrics"
  filename           = "${local.dist_dir}/webhookcheck.zip"
  architecture       = var.architecture
  memory_size        = 128
  timeout            = 60 # three tries of getWebhookInfo at most
  log_retention_days = var.log_retention_days
  policy_json        = data.aws_iam_policy_document.webhook_check.json
  alarm_actions      = local.alarm_topic

  environment = {
    TELEGRAM_BOT_TOKEN_PARAMETER = aws_ssm_parameter.bot_token.name
    WEBHOOK_URL                  = module.webhook_api.webhook_url
    # An error newer than the interval happened since the previous check.
    WEBHOOK_CHECK_WINDOW_SECONDS = tostring(var.webhook_check_minutes * 60)
  }

  # A failed check is not retried: the next one comes at the next interval (its error alarm fires).
  create_async_config             = true
  async_maximum_retry_attempts    = 0
  async_maximum_event_age_seconds = var.webhook_check_minutes * 60
}

# ---- webhook

module "webhook_api" {
  source = "./modules/webhook_api"

  name                   = "${var.name}-webhook"
  path                   = "/telegram/webhook"
  function_name          = module.ingest.function_name
  function_invoke_arn    = module.ingest.function_invoke_arn
  throttling_rate_limit  = var.webhook_rate_limit
  throttling_burst_limit = var.webhook_burst_limit
  log_retention_days     = var.log_retention_days
}

# ---- schedules

module "etl_schedule" {
  source = "./modules/schedule"

  name                = "${var.name}-etl-daily"
  description         = "Builds yesterday's Parquet tables (yesterday in ${var.timezone})"
  schedule_expression = var.etl_schedule
  timezone            = var.timezone
  function_arn        = module.etl.function_arn
  input               = jsonencode({})
  dead_letter_arn     = aws_sqs_queue.dlq.arn
}

module "repair_schedule" {
  source = "./modules/schedule"

  name                = "${var.name}-repair-daily"
  description         = "Safety net: registers the partitions of the last ${var.repair_recent_days} days"
  schedule_expression = var.repair_schedule
  timezone            = var.timezone
  function_arn        = module.repair.function_arn
  input               = jsonencode({ recent_days = var.repair_recent_days })
  dead_letter_arn     = aws_sqs_queue.dlq.arn
}

module "webhook_check_schedule" {
  source = "./modules/schedule"
  count  = local.webhook_check ? 1 : 0

  name                = "${var.name}-webhook-check-schedule" # the function's role is <name>-webhook-check
  description         = "Checks the webhook with getWebhookInfo every ${var.webhook_check_minutes} min"
  schedule_expression = var.webhook_check_minutes == 1 ? "rate(1 minute)" : "rate(${var.webhook_check_minutes} minutes)"
  function_arn        = module.webhook_check[0].function_arn
  input               = jsonencode({})
  dead_letter_arn     = aws_sqs_queue.dlq.arn
}

# ---- catalog

module "catalog" {
  source = "./modules/catalog"

  database_name                  = local.glue_database
  data_bucket                    = module.enriched.bucket_name
  tables                         = local.glue_tables
  projection_start_date          = var.projection_start_date
  workgroup_name                 = var.name
  results_bucket                 = module.athena_results.bucket_name
  bytes_scanned_cutoff_per_query = var.athena_bytes_scanned_cutoff
  named_queries                  = local.named_queries
}
