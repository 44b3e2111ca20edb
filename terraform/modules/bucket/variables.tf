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
