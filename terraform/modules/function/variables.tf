# ---- the function

variable "function_name" {
  description = "Name of the function; also names its role, log group and alarm."
  type        = string
}

variable "description" {
  description = "What the function does."
  type        = string
  default     = ""
}

variable "filename" {
  description = "Path of the deployment zip (its hash decides whether the code is redeployed)."
  type        = string
}

variable "handler" {
  description = "Entry point, module.function."
  type        = string
  default     = "handler.handler"
}

variable "runtime" {
  description = "Lambda runtime."
  type        = string
  default     = "python3.12"
}

variable "architecture" {
  description = "Instruction set: x86_64 or arm64."
  type        = string
  default     = "x86_64"
}

variable "memory_size" {
  description = "Memory in MB (CPU grows with it)."
  type        = number
  default     = 256
}

variable "timeout" {
  description = "Longest run in seconds."
  type        = number
  default     = 30
}

variable "ephemeral_storage_mb" {
  description = "Size of the function's /tmp in MB (512 to 10240)."
  type        = number
  default     = 512
}

variable "layers" {
  description = "ARNs of layer versions to add."
  type        = list(string)
  default     = []
}

variable "reserved_concurrent_executions" {
  description = "Concurrent runs reserved (and capped) for the function; -1 leaves it unreserved."
  type        = number
  default     = -1
}

variable "environment" {
  description = "Environment variables of the function."
  type        = map(string)
  default     = {}
}

# ---- permissions and logs

variable "policy_json" {
  description = "IAM policy document with what the function may do besides writing its own logs."
  type        = string
  default     = ""
}

variable "log_retention_days" {
  description = "Days the function's logs are kept."
  type        = number
  default     = 30
}

# ---- asynchronous invocations (schedules, destinations)

variable "create_async_config" {
  description = "Manage retries and destinations of asynchronous invocations."
  type        = bool
  default     = false
}

variable "async_maximum_retry_attempts" {
  description = "Retries of a failed asynchronous invocation (0-2)."
  type        = number
  default     = 2
}

variable "async_maximum_event_age_seconds" {
  description = "Oldest asynchronous event still run, in seconds (60-21600)."
  type        = number
  default     = 21600
}

variable "on_success_arn" {
  description = "Where the result of a successful asynchronous invocation goes (function, queue, topic, bus); empty for nowhere."
  type        = string
  default     = ""
}

variable "on_failure_arn" {
  description = "Where a failed asynchronous invocation goes after its retries; empty for nowhere."
  type        = string
  default     = ""
}

# ---- alarm

variable "alarm_actions" {
  description = "ARNs notified when the error alarm changes state (an SNS topic)."
  type        = list(string)
  default     = []
}

variable "alarm_period_seconds" {
  description = "Window of the error alarm, in seconds."
  type        = number
  default     = 300
}
