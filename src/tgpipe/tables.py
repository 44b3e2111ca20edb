"""Names of the enriched tables and their partition key.

Kept apart from `schema` (which needs pyarrow) so the repair Lambda can use them without pyarrow.
"""

TABLE_NAMES = ("telegram", "telegram_updates")
PARTITION_KEY = "context_date"
