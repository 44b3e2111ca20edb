variable "database_name" {
  description = "Name of the Glue database (letters, digits and underscores)."
  type        = string
}

variable "data_bucket" {
  description = "Bucket holding the tables' Parquet, at <table>/<partition key>=YYYY-MM-DD/."
  type        = string
}

variable "tables" {
  description = "Tables by name, with their columns and one date partition key (the format of generated/glue_tables.json)."
  type = map(object({
    columns        = list(object({ name = string, type = string, comment = string }))
    partition_keys = list(object({ name = string, type = string, comment = string }))
  }))
}

variable "projection_start_date" {
  description = "First day (YYYY-MM-DD) partition projection considers (Telegram started in August 2013); the range ends tomorrow in UTC."
  type        = string
  default     = "2013-08-01"
}

variable "workgroup_name" {
  description = "Name of the Athena workgroup."
  type        = string
}

variable "results_bucket" {
  description = "Bucket where Athena writes query results (enforced for every query of the workgroup)."
  type        = string
}

variable "bytes_scanned_cutoff_per_query" {
  description = "Cancel a query once it has scanned this many bytes (at least 10 MB)."
  type        = number
  default     = 1073741824
}

variable "named_queries" {
  description = "Saved queries by name, each with a description and its SQL."
  type        = map(object({ description = string, query = string }))
  default     = {}
}
