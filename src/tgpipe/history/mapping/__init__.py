"""One Telegram Desktop export message -> the Bot API Message a bot would have received, by kind
of content: ids, text and entities, media, senders, service actions, the message.

Imports nothing, so importing one module of the package loads only what that module needs.
"""
