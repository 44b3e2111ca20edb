"""tgpipe: every Telegram update a bot receives, kept raw and served as typed Parquet tables."""

__version__ = "0.1.0"
