"""Privacy operations on the stores: `tgpipe forget`, retention (`tgpipe prune`) and the audit log.

Imports nothing, so importing one module of the package loads only what that module needs.
"""
