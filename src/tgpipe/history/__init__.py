"""History from before the bot: a Telegram Desktop export read and mapped to Bot API messages,
imported into the raw store, and the AWS import inbox.

Imports nothing, so importing one module of the package loads only what that module needs.
"""
