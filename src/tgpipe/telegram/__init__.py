"""Telegram's side: what a Bot API update is (no pyarrow), the Bot API client, a bot's webhook
set-up and checks, and a sample chat.

Imports nothing, so importing one module of the package loads only what that module needs.
"""
