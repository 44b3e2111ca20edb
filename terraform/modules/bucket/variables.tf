variable "bucket" {
  description = "Name of the bucket (globally unique)."
  type        = string
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete the bucket with every object (and version) in it."
  type        = bool
  default     = false
}

variable "versioning" {
  description = "Keep previous versions of overwritten and deleted objects."
  type        = bool
  default     = false
}

variable "noncurrent_version_expiration_days" {
  description = "Delete previous versions this many days after they were replaced (0 keeps them). Needs versioning."
  type        = number
  default     = 30
}

variable "expiration_days" {
  description = "Delete objects this many days after they were written (0 keeps them)."
  type        = number
  default     = 0
}

variable "abort_incomplete_multipart_days" {
  description = "Abort multipart uploads left unfinished for this many days."
  type        = number
  default     = 1
}

variable "retention_days" {
  description = "Delete the objects under retention_prefixes this many days after they were written, and their previous versions a day later (0 keeps them)."
  type        = number
  default     = 0

  validation {
    condition     = var.retention_days >= 0 && floor(var.retention_days) == var.retention_days
    error_message = "retention_days must be a whole number of days, 0 to keep everything."
  }
}

variable "retention_prefixes" {
  description = "The key prefixes retention_days applies to (one lifecycle rule each)."
  type        = list(string)
  default     = []
}
