output "database_name" {
  description = "Name of the Glue database."
  value       = aws_glue_catalog_database.this.name
}

output "table_names" {
  description = "Names of the tables."
  value       = sort([for table in aws_glue_catalog_table.this : table.name])
}

output "workgroup_name" {
  description = "Name of the Athena workgroup."
  value       = aws_athena_workgroup.this.name
}

output "named_query_ids" {
  description = "Id of each saved query, by name."
  value       = { for name, query in aws_athena_named_query.this : name => query.id }
}
