"""Retry behaviour of partition registration, with a Glue stand-in that throttles on cue."""

import pytest

from tgpipe.ops import repair

DESCRIPTOR = {"Table": {"StorageDescriptor": {"Location": "s3://b/enriched/telegram/", "Columns": []}}}


class ThrottlingGlue:
    """Answers BatchCreatePartition with per-partition errors from a script, one entry per call."""

    def __init__(self, script):
        self.script = list(script)
        self.calls = []

    def get_table(self, DatabaseName, Name):
        return DESCRIPTOR

    def batch_create_partition(self, DatabaseName, TableName, PartitionInputList):
        self.calls.append([p["Values"][0] for p in PartitionInputList])
        codes = self.script.pop(0) if self.script else {}
        errors = [
            {"PartitionValues": [day], "ErrorDetail": {"ErrorCode": code, "ErrorMessage": "x"}}
            for day, code in codes.items()
        ]
        return {"Errors": errors}


def test_throttled_partitions_are_retried_alone():
    glue = ThrottlingGlue([{"2025-01-02": "ThrottlingException", "2025-01-03": "AlreadyExistsException"}, {}])
    result = repair.register_partitions("db", {"telegram": ["2025-01-01", "2025-01-02", "2025-01-03"]}, glue, pause=0)
    assert glue.calls == [["2025-01-01", "2025-01-02", "2025-01-03"], ["2025-01-02"]]
    assert (result.created, result.existing) == (2, 1)


def test_endless_throttling_gives_up_as_transient():
    glue = ThrottlingGlue([{"2025-01-01": "ThrottlingException"}] * repair.RETRIES)
    with pytest.raises(repair.GlueUnavailable, match="throttled 1 partition"):
        repair.register_partitions("db", {"telegram": ["2025-01-01"]}, glue, pause=0)
    assert len(glue.calls) == repair.RETRIES


def test_a_rejected_partition_is_an_error_with_glues_reason():
    glue = ThrottlingGlue([{"2025-01-01": "InvalidInputException"}])
    with pytest.raises(
        repair.RepairError, match="Glue rejected partition 2025-01-01 of db.telegram: InvalidInputException"
    ):
        repair.register_partitions("db", {"telegram": ["2025-01-01"]}, glue, pause=0)


def test_duplicates_in_the_request_are_registered_once():
    glue = ThrottlingGlue([])
    result = repair.register_partitions("db", {"telegram": ["2025-01-01", "2025-01-01"]}, glue, pause=0)
    assert glue.calls == [["2025-01-01"]] and result.created == 1
