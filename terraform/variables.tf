# ---- naming and place

variable "name" {
  description = "Prefix of every resource name (lower-case letters, digits and dashes)."
  type        = string
  default     = "tgpipe"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name))
    error_message = "name must be 2-21 lower-case letters, digits or dashes, starting with a letter."
  }
}

variable "region" {
  description = "AWS region of the stack."
  type        = string
  default     = "us-east-1"
}

variable "tags" {
  description = "Extra tags on every resource."
  type        = map(string)
  default     = {}
}

# ---- Telegram

variable "telegram_bot_token" {
  description = "Bot token from @BotFather. Kept in SSM as a SecureString; used by `make deploy` to register the webhook."
  type        = string
  sensitive   = true

  validation {
    condition     = can(regex("^[0-9]+:[A-Za-z0-9_-]+$", var.telegram_bot_token))
    error_message = "telegram_bot_token must look like 123456789:AAE... (the token @BotFather gives)."
  }
}

variable "webhook_secret" {
  description = "Secret Telegram sends with every update (1-256 of A-Z a-z 0-9 _ -). `make deploy` generates one into webhook-secret.auto.tfvars when unset."
  type        = string
  sensitive   = true

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,256}$", var.webhook_secret))
    error_message = "webhook_secret must be 1-256 characters of A-Z, a-z, 0-9, _ and -."
  }
}

variable "allowed_chat_ids" {
  description = "Chat ids whose updates are kept; empty keeps every chat."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.allowed_chat_ids : can(regex("^-?[0-9]+$", id))])
    error_message = "allowed_chat_ids must be integers written as strings, such as \"-1001234567890\"."
  }
}

variable "max_body_bytes" {
  description = "Largest webhook body accepted (larger gets 413)."
  type        = number
  default     = 1048576
}

# ---- pseudonymised tables (docs/pseudonymization.md)

variable "pseudonymize" {
  description = "Build pseudonymised tables: user ids become keyed hashes, names and contact fields are dropped (PSEUDONYMIZE=1 in the ETL). Set it for a new enriched bucket: a bucket of plain tables refuses pseudonymised days, and the other way round."
  type        = bool
  default     = false
}

variable "pseudonymize_key" {
  description = "The pseudonyms' secret key (at least 32 characters). Written to SSM once (write-only: never in the state or the plan) and read by the ETL from there. Leave it null to have a random one generated; give it to keep the pseudonyms of an earlier stack or of a local store."
  type        = string
  default     = null
  sensitive   = true
  ephemeral   = true

  validation {
    condition     = var.pseudonymize_key == null || length(coalesce(var.pseudonymize_key, "x")) >= 32
    error_message = "pseudonymize_key must be at least 32 characters."
  }
}

variable "pseudonymize_key_version" {
  description = "Raise it to write a new key into SSM (pseudonymize_key, or a new random one). Every pseudonym changes with the key: the enriched bucket then refuses the new days, so rebuild every day into a new bucket."
  type        = number
  default     = 1
}

# ---- time

variable "timezone" {
  description = "IANA time zone of context_date and of the schedules (TIMEZONE of every function)."
  type        = string
  default     = "UTC"
}

variable "etl_schedule" {
  description = "When the ETL runs (read in `timezone`); it builds yesterday."
  type        = string
  default     = "cron(30 3 * * ? *)"
}

variable "etl_late_days" {
  description = "Days before yesterday the ETL rebuilds when late updates arrived for them (ETL_LATE_DAYS)."
  type        = number
  default     = 3
}

variable "repair_schedule" {
  description = "When the safety-net repair registers the partitions of the last days (read in `timezone`)."
  type        = string
  default     = "cron(30 5 * * ? *)"
}

variable "repair_recent_days" {
  description = "Days back the scheduled repair looks for partitions to register."
  type        = number
  default     = 3
}

# ---- functions

variable "architecture" {
  description = "Instruction set of the functions and of the pyarrow layer: x86_64 or arm64 (cheaper). `make build` reads it."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "dist_dir" {
  description = "Folder of the zips `make build` writes; empty means ../dist next to this module."
  type        = string
  default     = ""
}

variable "ingest_memory_mb" {
  description = "Memory of the webhook function, MB."
  type        = number
  default     = 256
}

variable "ingest_timeout_seconds" {
  description = "Timeout of the webhook function (API Gateway waits at most 10 s)."
  type        = number
  default     = 10
}

variable "ingest_reserved_concurrency" {
  description = "Concurrent webhook runs reserved and capped; -1 leaves them unreserved (the API throttles anyway)."
  type        = number
  default     = -1
}

variable "etl_memory_mb" {
  description = "Memory of the ETL function, MB (CPU grows with it)."
  type        = number
  default     = 2048
}

variable "etl_timeout_seconds" {
  description = "Timeout of the ETL function (at most 900)."
  type        = number
  default     = 900
}

variable "import_memory_mb" {
  description = "Memory of the import function, MB (CPU grows with it; it reads an export as a stream)."
  type        = number
  default     = 1024
}

variable "import_timeout_seconds" {
  description = "Timeout of the import function (at most 900): reading and storing an export, about 10,000 messages/s."
  type        = number
  default     = 900
}

variable "import_storage_mb" {
  description = "The import function's /tmp, MB (512 to 10240): holds the export and its messages per day, about twice the export's size."
  type        = number
  default     = 4096

  validation {
    condition     = var.import_storage_mb >= 512 && var.import_storage_mb <= 10240
    error_message = "import_storage_mb must be between 512 and 10240."
  }
}

variable "etl_reserved_concurrency" {
  description = "Concurrent ETL runs; 1 keeps two runs from rebuilding the same day at once. -1 leaves it unreserved (accounts with a concurrency quota of 10 cannot reserve any)."
  type        = number
  default     = 1
}

variable "repair_memory_mb" {
  description = "Memory of the repair function, MB."
  type        = number
  default     = 256
}

variable "repair_timeout_seconds" {
  description = "Timeout of the repair function (MSCK REPAIR TABLE may take minutes)."
  type        = number
  default     = 300
}

variable "log_retention_days" {
  description = "Days the functions' and the API's logs are kept."
  type        = number
  default     = 30
}

# ---- webhook API

variable "webhook_rate_limit" {
  description = "Steady webhook requests per second; more get 429, which Telegram retries."
  type        = number
  default     = 50
}

variable "webhook_burst_limit" {
  description = "Webhook requests allowed in a burst above the steady rate."
  type        = number
  default     = 100
}

# ---- data

variable "raw_noncurrent_days" {
  description = "Days an overwritten or deleted raw object stays recoverable."
  type        = number
  default     = 30
}

variable "raw_expiration_days" {
  description = "Delete every object of the raw bucket, _tgpipe/ files included, this many days after it was written (0 keeps them: they are the source of truth). For a retention limit use raw_retention_days, which keeps the forgotten list."
  type        = number
  default     = 0
}

variable "raw_retention_days" {
  description = "RAW_RETENTION_DAYS: delete raw updates, quarantined bodies, imported messages and stored exports this many days after they were written (0 keeps them; docs/privacy.md). tgpipe's own _tgpipe/ files stay."
  type        = number
  default     = 0
  nullable    = false

  validation {
    condition     = var.raw_retention_days >= 0 && floor(var.raw_retention_days) == var.raw_retention_days
    error_message = "raw_retention_days must be a whole number of days, 0 to keep everything."
  }
}

variable "enriched_retention_days" {
  description = "ENRICHED_RETENTION_DAYS: delete the tables' files this many days after they were written (0 keeps them; docs/privacy.md)."
  type        = number
  default     = 0
  nullable    = false

  validation {
    condition     = var.enriched_retention_days >= 0 && floor(var.enriched_retention_days) == var.enriched_retention_days
    error_message = "enriched_retention_days must be a whole number of days, 0 to keep everything."
  }
}

variable "optout_hashtag" {
  description = "TELEGRAM_OPTOUT_HASHTAG: a message carrying this hashtag (such as #noarchive) is not stored, nor its edits (empty: off)."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = var.optout_hashtag == "" || can(regex("^#?[\\p{L}\\p{N}_]{1,64}$", var.optout_hashtag))
    error_message = "optout_hashtag must be one hashtag such as #noarchive (letters, digits, _), or empty."
  }
}

variable "athena_results_expiration_days" {
  description = "Days Athena query results are kept."
  type        = number
  default     = 7
}

variable "athena_bytes_scanned_cutoff" {
  description = "Cancel an Athena query once it has scanned this many bytes (at least 10 MB)."
  type        = number
  default     = 1073741824
}

variable "projection_start_date" {
  description = "First day partition projection considers (YYYY-MM-DD); the default covers all of Telegram's history, for imported days."
  type        = string
  default     = "2013-08-01"
}

variable "force_destroy" {
  description = "Let `make destroy` delete the raw and enriched buckets with all their data."
  type        = bool
  default     = false
}

# ---- alarms

variable "alarm_email" {
  description = "Address that gets the alarms (it must confirm the subscription); empty for none."
  type        = string
  default     = ""
}

variable "silence_alarm_hours" {
  description = "Alarm when no update was stored in the raw bucket for this many hours (whole hours, at most 168); 0 turns the alarm off. A quiet group looks the same as a broken webhook: choose it above the longest silence your chats have."
  type        = number
  default     = 24

  validation {
    condition     = var.silence_alarm_hours >= 0 && var.silence_alarm_hours <= 168 && floor(var.silence_alarm_hours) == var.silence_alarm_hours
    error_message = "silence_alarm_hours must be a whole number of hours from 0 (off) to 168 (CloudWatch evaluates at most 7 days)."
  }
}

variable "etl_alarm_hours" {
  description = "Alarm when no ETL run succeeded for this many hours (whole hours, at most 168); 0 turns the alarm off. Above a day, so one late run does not page."
  type        = number
  default     = 26

  validation {
    condition     = var.etl_alarm_hours >= 0 && var.etl_alarm_hours <= 168 && floor(var.etl_alarm_hours) == var.etl_alarm_hours
    error_message = "etl_alarm_hours must be a whole number of hours from 0 (off) to 168 (CloudWatch evaluates at most 7 days)."
  }
}

variable "webhook_check_minutes" {
  description = "Minutes between two checks of the webhook with getWebhookInfo (pending updates, Telegram's last delivery error); 0 removes the check, its schedule and its alarm."
  type        = number
  default     = 15

  validation {
    condition     = var.webhook_check_minutes >= 0 && var.webhook_check_minutes <= 60 && floor(var.webhook_check_minutes) == var.webhook_check_minutes
    error_message = "webhook_check_minutes must be a whole number of minutes from 0 (off) to 60."
  }
}

variable "create_dashboard" {
  description = "Create the CloudWatch dashboard (deliveries, errors, ETL, Athena bytes scanned). Free for an account's first 3 dashboards, then $3 a month."
  type        = bool
  default     = true
}

variable "capture" {
  description = "How the webhook stores updates: one S3 object each (objects), or batched by an Amazon Data Firehose stream (firehose: about a quarter of the cost per update; see docs/aws.md)."
  type        = string
  default     = "objects"
  nullable    = false

  validation {
    condition     = contains(["objects", "firehose"], var.capture)
    error_message = "capture must be \"objects\" or \"firehose\"."
  }
}

variable "firehose_buffer_mb" {
  description = "capture = \"firehose\": MiB Firehose buffers before writing an object (64 to 128 with dynamic partitioning)."
  type        = number
  default     = 128

  validation {
    condition     = var.firehose_buffer_mb >= 64 && var.firehose_buffer_mb <= 128
    error_message = "With dynamic partitioning Firehose wants a buffer of 64 to 128 MiB."
  }
}

variable "firehose_buffer_seconds" {
  description = "capture = \"firehose\": seconds Firehose buffers at most (60 to 900); a day's last updates reach S3 up to about 1.5 times this after midnight."
  type        = number
  default     = 900

  validation {
    condition     = var.firehose_buffer_seconds >= 60 && var.firehose_buffer_seconds <= 900
    error_message = "firehose_buffer_seconds must be between 60 and 900."
  }
}

variable "etl_shard_concurrency" {
  description = "Shards of a big day built at once (the state machine's Map MaxConcurrency, 1 to 40); the shard function must be able to run that many (the account's unreserved concurrency)."
  type        = number
  default     = 8

  validation {
    condition     = var.etl_shard_concurrency >= 1 && var.etl_shard_concurrency <= 40
    error_message = "etl_shard_concurrency must be between 1 and 40 (an inline Map runs 40 iterations at once at most)."
  }
}

variable "etl_updates_per_shard" {
  description = "A day of more updates is built in shards of about this many (ETL_UPDATES_PER_SHARD; docs/aws.md)."
  type        = number
  default     = 500000
}
