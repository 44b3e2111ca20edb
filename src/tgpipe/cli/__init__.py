"""The `tgpipe` command: one module per group of commands, the options they share in `options`.

Imports nothing, so importing one module of the package loads only what that module needs.
"""
