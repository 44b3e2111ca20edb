variable "name" {
  description = "Name of the schedule and of its role."
  type        = string
}

variable "description" {
  description = "What the schedule runs."
  type        = string
  default     = ""
}

variable "schedule_expression" {
  description = "When to run: cron(...), rate(...) or at(...)."
  type        = string
}

variable "timezone" {
  description = "IANA time zone the expression is read in (daylight saving time included)."
  type        = string
  default     = "UTC"
}

variable "enabled" {
  description = "Whether the schedule runs."
  type        = bool
  default     = true
}

variable "function_arn" {
  description = "ARN of the Lambda function to invoke (asynchronously)."
  type        = string
}

variable "input" {
  description = "JSON event passed to the function."
  type        = string
  default     = "{}"
}

variable "maximum_retry_attempts" {
  description = "Retries when the invocation itself fails (throttled, function missing)."
  type        = number
  default     = 3
}

variable "maximum_event_age_seconds" {
  description = "Give up on an invocation older than this, in seconds."
  type        = number
  default     = 3600
}

variable "dead_letter_arn" {
  description = "SQS queue that receives invocations the scheduler could not deliver; empty for none."
  type        = string
  default     = ""
}
