"""Register (or remove) the deployed stack's webhook with Telegram.

    python scripts/telegram_webhook.py set      # after `terraform apply` (make deploy does it)
    python scripts/telegram_webhook.py delete   # before `terraform destroy` (make destroy does it)

The webhook URL and the names of the SSM parameters come from `terraform output`; the bot token
and the webhook secret are read from SSM (decrypted) and go only to Telegram, in the body of a
POST: they are never printed, logged or put on a command line. The Telegram side is the same code
as `tgpipe webhook set` (`tgpipe.telegram.botsetup`): every update type is asked for, pending updates kept.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tgpipe.errors import TgpipeError  # noqa: E402
from tgpipe.telegram import botsetup  # noqa: E402
from tgpipe.telegram.botapi import DEFAULT_API_URL, BotApi  # noqa: E402

#: Telegram's Bot API; TELEGRAM_API_URL points elsewhere (a local fake in tests).
API_URL = os.environ.get("TELEGRAM_API_URL") or DEFAULT_API_URL


class WebhookError(Exception):
    pass


def terraform_outputs(terraform: str, directory: str) -> dict:
    command = [*terraform.split(), f"-chdir={directory}", "output", "-json"]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise WebhookError(f"terraform output failed: {result.stderr.strip()[-500:]}")
    outputs = {name: value["value"] for name, value in json.loads(result.stdout or "{}").items()}
    if "webhook_url" not in outputs:
        raise WebhookError("the stack has no webhook_url output: run `make deploy` first")
    return outputs


def read_parameter(name: str, region: str) -> str:
    import boto3

    try:
        ssm = boto3.session.Session(region_name=region).client("ssm")
        return ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    except Exception as e:
        code = getattr(e, "response", {}).get("Error", {}).get("Code") or type(e).__name__
        raise WebhookError(f"cannot read SSM parameter {name}: {code}") from None


def bot(outputs: Mapping, api_url: str) -> BotApi:
    return BotApi(read_parameter(outputs["bot_token_parameter"], outputs["region"]), api_url)


def set_webhook(outputs: Mapping, api_url: str = API_URL) -> str:
    """Point the bot at the stack's webhook with its secret and every update type; return a summary."""
    api = bot(outputs, api_url)
    secret = read_parameter(outputs["webhook_secret_parameter"], outputs["region"])
    try:
        botsetup.set_webhook(api, outputs["webhook_url"], secret)
        info = api.get_webhook_info()
    except TgpipeError as e:
        raise WebhookError(str(e)) from None
    if info.get("url") != outputs["webhook_url"]:
        raise WebhookError(f"Telegram reports the webhook as {info.get('url')!r}, not {outputs['webhook_url']!r}")
    return "; ".join(botsetup.describe_webhook(info))


def delete_webhook(outputs: Mapping, api_url: str = API_URL) -> str:
    try:
        bot(outputs, api_url).delete_webhook()
    except TgpipeError as e:
        raise WebhookError(str(e)) from None
    return "webhook removed: Telegram keeps new updates for getUpdates (tgpipe poll) for 24 hours"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("set", "delete"))
    parser.add_argument("--terraform", default=str(ROOT / "scripts" / "terraform"), help="terraform command")
    parser.add_argument("--dir", default=str(ROOT / "terraform"), help="the root module's folder")
    args = parser.parse_args(argv)
    try:
        outputs = terraform_outputs(args.terraform, args.dir)
        print(set_webhook(outputs) if args.action == "set" else delete_webhook(outputs))
    except WebhookError as e:
        print(f"Error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
