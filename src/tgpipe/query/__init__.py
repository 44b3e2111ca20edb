"""SQL over the tables: the named queries (queries/NN_name.sql), the scope that narrows them, the
local engine (DuckDB) and Athena, and how a result prints.

Imports nothing, so importing one module of the package loads only what that module needs.
"""
