"""Running the pipeline: `tgpipe status`, Glue partition repair and the `tgpipe run` daemon.

Imports nothing, so importing one module of the package loads only what that module needs.
"""
