provider "aws" {
  region = var.region

  # Tags on every resource that takes them. Endpoints come from the environment: AWS_ENDPOINT_URL
  # points the same configuration at moto (tests) or LocalStack (make localstack-deploy).
  default_tags {
    tags = merge({ Project = var.name, ManagedBy = "terraform", Source = "tgpipe" }, var.tags)
  }
}
