output "webhook_url" {
  description = "URL Telegram posts updates to (make deploy registers it with setWebhook)."
  value       = module.webhook_api.webhook_url
}

output "raw_bucket" {
  description = "Bucket of the raw updates (RAW_STORE=s3://<this>)."
  value       = module.raw.bucket_name
}

output "enriched_bucket" {
  description = "Bucket of the Parquet tables (ENRICHED_STORE=s3://<this>)."
  value       = module.enriched.bucket_name
}

output "athena_results_bucket" {
  description = "Bucket of Athena's query results."
  value       = module.athena_results.bucket_name
}

output "glue_database" {
  description = "Glue database of the tables (GLUE_DATABASE)."
  value       = module.catalog.database_name
}

output "glue_tables" {
  description = "Glue tables."
  value       = module.catalog.table_names
}

output "athena_workgroup" {
  description = "Athena workgroup to query in (ATHENA_WORKGROUP)."
  value       = module.catalog.workgroup_name
}

output "function_names" {
  description = "Lambda functions by step."
  value = {
    ingest = module.ingest.function_name
    etl    = module.etl.function_name
    import = module.import.function_name
    repair = module.repair.function_name
    # null when webhook_check_minutes = 0
    webhook_check = local.webhook_check_fn
  }
}

output "import_inbox" {
  description = "Put a Telegram Desktop export here to import it (aws s3 cp result.json <this>)."
  value       = "s3://${module.raw.bucket_name}/import/"
}

output "bot_token_parameter" {
  description = "SSM parameter holding the bot token (SecureString; the value is never an output)."
  value       = aws_ssm_parameter.bot_token.name
}

output "webhook_secret_parameter" {
  description = "SSM parameter holding the webhook secret (SecureString; the value is never an output)."
  value       = aws_ssm_parameter.webhook_secret.name
}

output "pseudonym_key_parameter" {
  description = "SSM parameter holding the pseudonyms' key (SecureString, never in the state; null without pseudonymize)."
  value       = one(aws_ssm_parameter.pseudonym_key[*].name)
}

output "dead_letter_queue_url" {
  description = "Queue of scheduled runs that failed after their retries."
  value       = aws_sqs_queue.dlq.url
}

output "alarm_names" {
  description = "Names of the CloudWatch alarms (docs/operations.md says what each means)."
  value       = [for arn in local.alarm_arns : element(split(":alarm:", arn), 1)]
}

output "dashboard_url" {
  description = "The CloudWatch dashboard in the console (null when create_dashboard = false)."
  value       = var.create_dashboard ? "https://${var.region}.console.aws.amazon.com/cloudwatch/home?region=${var.region}#dashboards/dashboard/${var.name}" : null
}

output "alarm_topic_arn" {
  description = "SNS topic of the alarms (subscribe to it, or set alarm_email)."
  value       = aws_sns_topic.alarms.arn
}

output "region" {
  description = "Region of the stack."
  value       = var.region
}
