variable "name" {
  description = "Name of the API; also names its access log group."
  type        = string
}

variable "path" {
  description = "Path of the webhook route (POST only)."
  type        = string
  default     = "/telegram/webhook"
}

variable "function_name" {
  description = "Name of the function the route invokes."
  type        = string
}

variable "function_invoke_arn" {
  description = "Invoke ARN of that function."
  type        = string
}

variable "integration_timeout_ms" {
  description = "How long API Gateway waits for the function, in milliseconds (50-30000)."
  type        = number
  default     = 10000
}

variable "throttling_rate_limit" {
  description = "Steady requests per second allowed; more get 429 (Telegram retries)."
  type        = number
  default     = 50
}

variable "throttling_burst_limit" {
  description = "Requests allowed in a burst above the steady rate."
  type        = number
  default     = 100
}

variable "log_retention_days" {
  description = "Days the access logs are kept."
  type        = number
  default     = 30
}
