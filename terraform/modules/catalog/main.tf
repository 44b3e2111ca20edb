# The SQL side: a Glue database with one external Parquet table per entry of `tables` (partition
# projection on the date partition), an Athena workgroup whose settings every query must use, and
# one saved (named) query per entry of `named_queries`.

locals {
  # The one partition key of each table, projected as a date: Athena computes the partitions from the
  # range instead of listing them, so new days are readable the moment their Parquet lands. Athena
  # evaluates NOW in UTC while context_date is a day in TIMEZONE: east of UTC the local "today" is
  # already tomorrow in UTC, so the range ends one day after NOW (one usually empty prefix more).
  projection = {
    for name, table in var.tables : name => {
      "projection.enabled"                                       = "true"
      "projection.${table.partition_keys[0].name}.type"          = "date"
      "projection.${table.partition_keys[0].name}.format"        = "yyyy-MM-dd"
      "projection.${table.partition_keys[0].name}.range"         = "${var.projection_start_date},NOW+1DAYS"
      "projection.${table.partition_keys[0].name}.interval"      = "1"
      "projection.${table.partition_keys[0].name}.interval.unit" = "DAYS"
      "storage.location.template"                                = "s3://${var.data_bucket}/${name}/${table.partition_keys[0].name}=$${${table.partition_keys[0].name}}/"
    }
  }
}

resource "aws_glue_catalog_database" "this" {
  name        = var.database_name
  description = "Tables of ${var.database_name}: Parquet in s3://${var.data_bucket}/"
}

resource "aws_glue_catalog_table" "this" {
  for_each = var.tables

  name          = each.key
  database_name = aws_glue_catalog_database.this.name
  description   = "Parquet in s3://${var.data_bucket}/${each.key}/, partitioned by ${each.value.partition_keys[0].name}"
  table_type    = "EXTERNAL_TABLE"

  parameters = merge(
    {
      EXTERNAL              = "TRUE"
      classification        = "parquet"
      "parquet.compression" = "ZSTD"
    },
    local.projection[each.key],
  )

  dynamic "partition_keys" {
    for_each = each.value.partition_keys

    content {
      name    = partition_keys.value.name
      type    = partition_keys.value.type
      comment = partition_keys.value.comment
    }
  }

  storage_descriptor {
    location      = "s3://${var.data_bucket}/${each.key}/"
    input_format  = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"

    ser_de_info {
      name                  = "parquet"
      serialization_library = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
      parameters            = { "serialization.format" = "1" }
    }

    dynamic "columns" {
      for_each = each.value.columns

      content {
        name    = columns.value.name
        type    = columns.value.type
        comment = columns.value.comment
      }
    }
  }
}

resource "aws_athena_workgroup" "this" {
  name          = var.workgroup_name
  description   = "Queries over ${var.database_name}; results in s3://${var.results_bucket}/"
  force_destroy = true # saved queries and history go with it; results stay in the bucket

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.bytes_scanned_cutoff_per_query

    result_configuration {
      output_location = "s3://${var.results_bucket}/"

      encryption_configuration {
        encryption_option = "SSE_S3"
      }
    }
  }
}

resource "aws_athena_named_query" "this" {
  for_each = var.named_queries

  name        = each.key
  description = each.value.description
  query       = each.value.query
  database    = aws_glue_catalog_database.this.name
  workgroup   = aws_athena_workgroup.this.id
}
