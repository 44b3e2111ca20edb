"""Raw updates to tables: the schema (the one source of truth), the row readers, pseudonyms, and
the ETL: which days a run builds, how a day is built, the run and its record.

Imports nothing, so importing one module of the package loads only what that module needs.
"""
