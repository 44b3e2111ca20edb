"""Full-text search over the messages table: the text rules (`text`), the SQLite FTS5 index
(`index`), where it lives and how it follows the tables (`freshness`), and the Athena engine
(`athena`).

Imports nothing, so importing one module of the package loads only what that module needs.
"""
