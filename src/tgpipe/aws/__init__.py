"""AWS: the process-wide boto3 clients (and what a failed call means), SSM parameters, the scheduled
functions' runtime and the Lambda events they receive.

Imports nothing, so importing one module of the package loads only what that module needs.
"""
