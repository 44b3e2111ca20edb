# One private S3 bucket: public access blocked, objects owned by the bucket owner, encrypted at rest,
# reachable only over TLS, optionally versioned, with lifecycle rules.

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_18:Access logging would need a fourth bucket and costs per request; CloudTrail data events can be enabled account-wide instead.
  #checkov:skip=CKV_AWS_144:Cross-region replication doubles storage cost; raw updates are versioned and the tables can be rebuilt from them.
  #checkov:skip=CKV_AWS_145:SSE-S3 (AES-256) by default: a customer managed KMS key costs a monthly fee plus per-request charges and protects nothing more here.
  #checkov:skip=CKV2_AWS_62:No consumer of object events: the ETL runs on a schedule.
  bucket        = var.bucket
  force_destroy = var.force_destroy
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket = aws_s3_bucket.this.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_versioning" "this" {
  count = var.versioning ? 1 : 0

  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  # One rule for the whole bucket: abort unfinished uploads, then the optional expiries. AWS takes
  # one lifecycle configuration per bucket: every rule of the bucket is here.
  rule {
    id     = "housekeeping"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_days
    }

    # Objects expire after expiration_days; a versioned bucket without that drops delete markers
    # left with no older version behind them.
    dynamic "expiration" {
      for_each = var.expiration_days > 0 || var.versioning ? [var.expiration_days] : []

      content {
        days                         = expiration.value > 0 ? expiration.value : null
        expired_object_delete_marker = expiration.value > 0 ? null : true
      }
    }

    dynamic "noncurrent_version_expiration" {
      for_each = var.versioning && var.noncurrent_version_expiration_days > 0 ? [var.noncurrent_version_expiration_days] : []

      content {
        noncurrent_days = noncurrent_version_expiration.value
      }
    }
  }

  # Retention: one rule per prefix (the data's folders, not tgpipe's own `_tgpipe/` files, which
  # must outlive the data: the forgotten list, the audit log, the settings).
  dynamic "rule" {
    for_each = var.retention_days > 0 ? var.retention_prefixes : []

    content {
      id     = "retention-${trimsuffix(rule.value, "/")}"
      status = "Enabled"

      filter {
        prefix = rule.value
      }

      expiration {
        days = var.retention_days
      }

      # What expired is not kept as a previous version for weeks: gone one day later.
      dynamic "noncurrent_version_expiration" {
        for_each = var.versioning ? [1] : []

        content {
          noncurrent_days = 1
        }
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

data "aws_iam_policy_document" "this" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.this.arn,
      "${aws_s3_bucket.this.arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.this.json

  depends_on = [aws_s3_bucket_public_access_block.this]
}
