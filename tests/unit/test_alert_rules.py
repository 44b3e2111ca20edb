"""The example Prometheus alert rules of docs/operations.md fire when they should (promtool)."""

import re
import shutil
import subprocess

import pytest
import yaml

from helpers import ROOT

PROMTOOL = shutil.which("promtool")

# An hourly scrape of a process up since t=0 that stored 5 updates in its first hour and none
# after, and whose nightly ETL never succeeded.
RULE_TESTS = """
rule_files: [rules.yml]
evaluation_interval: 1m
tests:
  - interval: 1h
    input_series:
      - series: 'tgpipe_updates_total{outcome="stored", instance="a", job="tgpipe"}'
        values: '0 5+0x30'
      - series: 'tgpipe_etl_last_success_timestamp_seconds{instance="a", job="tgpipe"}'
        values: '0+0x30'
      - series: 'process_start_time_seconds{instance="a", job="tgpipe"}'
        values: '0+0x30'
    alert_rule_test:
      - {eval_time: 24h, alertname: TgpipeNoUpdatesStored, exp_alerts: []}
      - eval_time: 26h
        alertname: TgpipeNoUpdatesStored
        exp_alerts: [{exp_labels: {outcome: stored, instance: a, job: tgpipe}}]
      - {eval_time: 25h, alertname: TgpipeNoEtlSuccess, exp_alerts: []}
      - eval_time: 27h
        alertname: TgpipeNoEtlSuccess
        exp_alerts: [{exp_labels: {instance: a, job: tgpipe}}]
  # A store error at minute 30, scraped every minute.
  - interval: 1m
    input_series:
      - series: 'tgpipe_store_errors_total{kind="transient", instance="a", job="tgpipe"}'
        values: '0+0x30 1+0x60'
    alert_rule_test:
      - {eval_time: 29m, alertname: TgpipeStoreErrors, exp_alerts: []}
      - eval_time: 35m
        alertname: TgpipeStoreErrors
        exp_alerts: [{exp_labels: {kind: transient, instance: a, job: tgpipe}}]
      - {eval_time: 50m, alertname: TgpipeStoreErrors, exp_alerts: []}
"""


@pytest.mark.skipif(PROMTOOL is None, reason="promtool is not installed (Debian: apt-get install prometheus)")
def test_the_example_alert_rules_are_valid_and_fire_when_they_should(tmp_path):
    page = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    (rules,) = [block for block in re.findall(r"```yaml\n(.*?)```", page, re.S) if "groups:" in block]
    (tmp_path / "rules.yml").write_text(rules)
    # promtool compares annotations too: expect each alert's own
    summaries = {r["alert"]: r["annotations"] for g in yaml.safe_load(rules)["groups"] for r in g["rules"]}
    tests = yaml.safe_load(RULE_TESTS)
    for case in (c for test in tests["tests"] for c in test["alert_rule_test"]):
        for alert in case["exp_alerts"]:
            labels = alert["exp_labels"]
            alert["exp_annotations"] = {
                key: re.sub(r"\{\{ \$labels\.(\w+) \}\}", lambda m, labels=labels: labels[m.group(1)], text)
                for key, text in summaries[case["alertname"]].items()
            }
    (tmp_path / "tests.yml").write_text(yaml.safe_dump(tests))
    checked = subprocess.run([PROMTOOL, "check", "rules", "rules.yml"], cwd=tmp_path, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = subprocess.run([PROMTOOL, "test", "rules", "tests.yml"], cwd=tmp_path, capture_output=True, text=True)
    assert tested.returncode == 0, tested.stdout + tested.stderr
