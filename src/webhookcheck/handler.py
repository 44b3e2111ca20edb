"""Lambda door for the scheduled check of the webhook: getWebhookInfo -> CloudWatch metrics.

Every few minutes (EventBridge Scheduler) it asks Telegram how delivery to the webhook goes and
logs one line whose metrics (EMF, namespace tgpipe) are WebhookPendingUpdates and
WebhookDeliveryFailing (1 when Telegram reported a delivery error since the previous check, or the
bot's webhook is not this stack's URL); an alarm watches the second (see tgpipe.telegram.botsetup.check_webhook).
A check that cannot ask Telegram (a refused token, Telegram unreachable three times) raises: the
function's error alarm fires, and the next check comes at the next interval.

Environment: TELEGRAM_BOT_TOKEN_PARAMETER (the SSM SecureString with the bot token, read once per
container), WEBHOOK_URL (the URL the webhook should have), WEBHOOK_CHECK_WINDOW_SECONDS (the
schedule's interval), TELEGRAM_API_URL, LOG_LEVEL. Imports no boto3 until the first check.
"""

import functools
import os

from tgpipe import logs
from tgpipe.telegram.botapi import BotApi
from tgpipe.telegram.botsetup import check_webhook

logs.configure()
EXPECTED_URL = os.environ.get("WEBHOOK_URL") or None
WINDOW_SECONDS = int(os.environ.get("WEBHOOK_CHECK_WINDOW_SECONDS") or 900)


@functools.cache
def api() -> BotApi:
    return BotApi.from_env()


def handler(event, context):
    return check_webhook(api(), EXPECTED_URL, WINDOW_SECONDS).to_dict()
