"""Updates coming in: the ingest rules and the webhook's answer, `tgpipe serve`, `tgpipe poll`,
and their metrics. Never imports pyarrow, duckdb or obstore (the ingest Lambda's cold start).

Imports nothing, so importing one module of the package loads only what that module needs.
"""
