"""Apply the root Terraform module to a local AWS endpoint: moto's server (tests, CI) or LocalStack.

The module is applied unchanged: its files are copied to a work folder (with `src/` and `dist/`
linked beside them, where the module looks for them), so the state, the lock file and the
providers live there and a developer's own `terraform/terraform.tfvars` and state are never read.
`AWS_ENDPOINT_URL` sends every AWS call of the provider (and of boto3) to the endpoint.

    python tests/terraform_local.py plan                      # CI: plan summary against moto
    python tests/terraform_local.py apply --endpoint URL      # make localstack-deploy
    python tests/terraform_local.py destroy --endpoint URL
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TERRAFORM = ROOT / "scripts" / "terraform"
#: Variables for a stack no Telegram ever talks to.
FAKE_BOT_TOKEN = "123456789:AAEfake-token_for-local-endpoints"


class TerraformError(Exception):
    pass


def terraform_installed() -> bool:
    return shutil.which(os.environ.get("TERRAFORM_BIN", "terraform")) is not None


def build_zips(arch: str = "x86_64") -> None:
    """Build dist/ with `make build` (which skips what is up to date) for `arch`, whatever a local
    terraform.tfvars says: the stack here uses the module's default architecture."""
    result = subprocess.run(["make", "-s", "build", f"ARCH={arch}"], cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise TerraformError(f"make build failed:\n{result.stdout}\n{result.stderr}")


class LocalStack:
    """The root module in a work folder, pointed at one endpoint."""

    def __init__(self, workdir: Path, endpoint: str, variables: dict, region: str = "us-east-1"):
        self.workdir = Path(workdir)
        self.module = self.workdir / "terraform"
        self.endpoint = endpoint
        self.region = region
        self.variables = {"region": region, **variables}
        self.last_output = ""
        self.copy_module()

    def copy_module(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.module.exists():  # keep state and providers of an earlier run, refresh the code
            keep = (".terraform", ".terraform.lock.hcl", "terraform.tfstate", "terraform.tfstate.backup")
            for path in self.module.iterdir():
                if path.name not in keep:
                    shutil.rmtree(path) if path.is_dir() else path.unlink()
        shutil.copytree(
            ROOT / "terraform",
            self.module,
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate*", "*.tfvars", "tfplan*"),
        )
        for name in ("src", "dist"):
            link = self.workdir / name
            if not link.exists():
                link.symlink_to(ROOT / name, target_is_directory=True)
        (self.workdir / "local.tfvars.json").write_text(json.dumps(self.variables, indent=2))

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_VAR_"))}
        env.update(
            AWS_ENDPOINT_URL=self.endpoint,
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_REGION=self.region,
            AWS_DEFAULT_REGION=self.region,
            TF_IN_AUTOMATION="1",
            TF_INPUT="0",
            CHECKPOINT_DISABLE="1",
        )
        return env

    def run(self, *args: str, timeout: float = 600) -> str:
        started = time.monotonic()
        result = subprocess.run(
            [str(TERRAFORM), f"-chdir={self.module}", *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        self.last_output = result.stdout + result.stderr
        if result.returncode != 0:
            raise TerraformError(
                f"terraform {args[0]} failed after {time.monotonic() - started:.0f} s:\n"
                + (result.stderr or result.stdout)[-6000:]
            )
        return result.stdout

    def var_args(self) -> list[str]:
        return [f"-var-file={self.workdir / 'local.tfvars.json'}"]

    def init(self) -> None:
        self.run("init", "-input=false", "-no-color")

    def apply(self, *extra: str) -> None:
        self.run("apply", "-input=false", "-auto-approve", "-no-color", "-parallelism=16", *self.var_args(), *extra)

    def destroy(self, *extra: str) -> None:
        self.run("destroy", "-input=false", "-auto-approve", "-no-color", "-parallelism=16", *self.var_args(), *extra)

    def outputs(self) -> dict:
        return {name: value["value"] for name, value in json.loads(self.run("output", "-json")).items()}

    def plan(self) -> dict:
        """Plan against the endpoint; return the plan as `terraform show -json` gives it."""
        self.run("plan", "-input=false", "-no-color", "-out=tfplan", *self.var_args())
        return json.loads(self.run("show", "-json", "tfplan"))


def plan_summary(plan: dict) -> str:
    """Describe a plan in a few lines: every resource with its action, counts by type and in total."""
    changes = [
        c
        for c in plan.get("resource_changes", [])
        if c.get("mode") == "managed" and c["change"]["actions"] != ["no-op"]
    ]
    symbols = {"create": "+", "delete": "-", "update": "~", "read": "<="}
    lines = []
    for change in sorted(changes, key=lambda c: c["address"]):
        actions = change["change"]["actions"]
        symbol = "-/+" if set(actions) == {"create", "delete"} else symbols.get(actions[0], actions[0])
        lines.append(f"  {symbol:>3} {change['address']}")
    by_type = Counter(c["type"] for c in changes)
    totals = Counter()
    for change in changes:
        for action in change["change"]["actions"]:
            totals[action] += 1
    lines.append("")
    lines.append("By type: " + ", ".join(f"{t} {n}" for t, n in sorted(by_type.items())))
    lines.append(
        f"Plan: {totals['create']} to add, {totals['update']} to change, {totals['delete']} to destroy"
        f" ({len(changes)} resources)."
    )
    return "\n".join(lines)


def shim_moto_stepfunctions() -> None:
    """Add the two Step Functions actions moto (5.2.6) lacks and the AWS provider (5.100) calls for
    `aws_sfn_state_machine`, to this process's moto server: ValidateStateMachineDefinition (at plan
    time; without it moto answers 500 and the provider retries for many minutes), answered OK for a
    JSON object with StartAt and States, and ListStateMachineVersions (every read), answered from
    moto's own record of the versions. moto's files are unchanged; AWS validates for real."""

    from moto.stepfunctions.responses import StepFunctionResponse

    if hasattr(StepFunctionResponse, "validate_state_machine_definition"):
        return  # a moto that has them

    def validate_state_machine_definition(self):
        try:
            definition = json.loads(self._get_param("definition"))
            ok = isinstance(definition, dict) and "StartAt" in definition and "States" in definition
        except ValueError:
            ok = False
        diagnostics = [] if ok else [{"severity": "ERROR", "code": "SCHEMA_VALIDATION_FAILED", "message": "no states"}]
        return json.dumps({"result": "OK" if ok else "FAIL", "diagnostics": diagnostics, "truncated": False})

    def list_state_machine_versions(self):
        machine = self.stepfunction_backend.describe_state_machine(self._get_param("stateMachineArn"))
        versions = sorted(getattr(machine, "versions", {}).values(), key=lambda v: v.version, reverse=True)
        listed = [{"stateMachineVersionArn": v.arn, "creationDate": v.creation_date.timestamp()} for v in versions]
        return json.dumps({"stateMachineVersions": listed})

    StepFunctionResponse.validate_state_machine_definition = validate_state_machine_definition
    StepFunctionResponse.list_state_machine_versions = list_state_machine_versions


def start_moto() -> tuple[object, str]:
    import logging

    from moto.server import ThreadedMotoServer

    shim_moto_stepfunctions()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return server, f"http://{host}:{port}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("plan", "apply", "destroy"))
    parser.add_argument("--endpoint", help="AWS endpoint (default: a moto server started here)")
    parser.add_argument("--workdir", type=Path, help="work folder (default: build/<moto|localstack>)")
    parser.add_argument("--target", action="append", default=[], help="apply only this resource or module")
    args = parser.parse_args(argv)
    if not terraform_installed():
        print("Error: terraform is not installed (https://developer.hashicorp.com/terraform/install)", file=sys.stderr)
        return 1
    server = None
    endpoint = args.endpoint
    if endpoint is None:
        server, endpoint = start_moto()
    workdir = args.workdir or ROOT / "build" / ("moto" if server else "localstack")
    try:
        build_zips()
        secret_file = workdir / "webhook-secret"
        workdir.mkdir(parents=True, exist_ok=True)
        if not secret_file.exists():
            secret_file.write_text(secrets.token_urlsafe(32))
        stack = LocalStack(
            workdir,
            endpoint,
            {"telegram_bot_token": FAKE_BOT_TOKEN, "webhook_secret": secret_file.read_text(), "force_destroy": True},
        )
        stack.init()
        targets = [f"-target={t}" for t in args.target]
        if args.action == "plan":
            print(f"terraform plan of terraform/ against moto at {endpoint}:")
            print(plan_summary(stack.plan()))
        elif args.action == "apply":
            stack.apply(*targets)
            print(json.dumps(stack.outputs(), indent=2))
        else:
            stack.destroy(*targets)
            print(f"destroyed the stack at {endpoint}")
    except TerraformError as e:
        print(f"Error: {e}", file=sys.stderr)
        return 1
    finally:
        if server is not None:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
