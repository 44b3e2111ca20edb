"""Where data is kept: the folder and S3 stores behind one interface, every key and prefix, the
settings a store records, its quarantine and its forgotten list.

Imports nothing, so importing one module of the package loads only what that module needs.
"""
