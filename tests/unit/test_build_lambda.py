"""scripts/build_lambda.py: what goes in each zip, reproducibly, and that the trimmed pyarrow works."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import orjson
import pyarrow
import pytest

from helpers import ROOT, load_script

build_lambda = load_script("build_lambda")
TZDATA = "tzdata==2099.1"
#: The webhook check's zip has requests, the import's ijson: here small stand-in wheels, cached by the fixture.
EXTRA_REQUIREMENTS = {"webhookcheck": ["requests==9.9.9"], "import": ["ijson==9.9.9"]}


@pytest.fixture
def out(tmp_path):
    """An output folder whose wheel cache already holds small tzdata, requests and ijson wheels (no download)."""
    cache = tmp_path / "dist" / "wheels" / "x86_64"
    cache.mkdir(parents=True)
    with zipfile.ZipFile(cache / "tzdata-2099.1-py2.py3-none-any.whl", "w") as wheel:
        wheel.writestr("tzdata/__init__.py", "IANA_VERSION = '2099a'\n")
        wheel.writestr("tzdata/zoneinfo/America/Sao_Paulo", b"TZif2...")
        wheel.writestr("tzdata-2099.1.dist-info/METADATA", "Name: tzdata\n")
    with zipfile.ZipFile(cache / "requests-9.9.9-py3-none-any.whl", "w") as wheel:
        wheel.writestr("requests/__init__.py", "__version__ = '9.9.9'\n")
        wheel.writestr("requests/__pycache__/__init__.cpython-312.pyc", b"\0")
        wheel.writestr("requests-9.9.9.dist-info/METADATA", "Name: requests\n")
    with zipfile.ZipFile(cache / "ijson-9.9.9-cp312-cp312-manylinux_2_28_x86_64.whl", "w") as wheel:
        wheel.writestr("ijson/__init__.py", "")
        wheel.writestr("ijson/backends/_yajl2.cpython-312-x86_64-linux-gnu.so", b"\x7fELF")
        wheel.writestr("ijson-9.9.9.dist-info/METADATA", "Name: ijson\n")
    return tmp_path / "dist"


def build_functions(out):
    return build_lambda.build(
        out, "x86_64", ["pyarrow==1.0"], TZDATA, only="functions", handler_requirements=EXTRA_REQUIREMENTS
    )


def test_each_zip_has_its_handler_the_package_and_tzdata(out):
    build_functions(out)
    package = sorted(
        f"tgpipe/{p.relative_to(ROOT / 'src' / 'tgpipe').as_posix()}"
        for p in (ROOT / "src" / "tgpipe").rglob("*.py")
        if "__pycache__" not in p.parts
    )
    assert build_lambda.HANDLERS == ("ingest", "etl", "import", "repair", "webhookcheck")
    for handler in build_lambda.HANDLERS:
        with zipfile.ZipFile(out / f"{handler}.zip") as z:
            names = z.namelist()
            assert names == sorted(names)
            assert z.read("handler.py") == (ROOT / "src" / handler / "handler.py").read_bytes()
            assert [n for n in names if n.startswith("tgpipe/")] == package
            assert "tzdata/zoneinfo/America/Sao_Paulo" in names
            assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
            assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
            assert {i.external_attr >> 16 for i in z.infolist()} == {0o100644}
            # only the webhook check calls the Bot API: only its zip has requests
            assert ("requests/__init__.py" in names) == (handler == "webhookcheck")
            # only the import function reads exports: only its zip has ijson, with its C parser
            has_ijson = {"ijson/__init__.py", "ijson/backends/_yajl2.cpython-312-x86_64-linux-gnu.so"} <= set(names)
            assert has_ijson == (handler == "import")


def test_the_webhook_check_pins_requests_with_what_it_needs():
    import importlib.metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pins = build_lambda.HANDLER_REQUIREMENTS["webhookcheck"]
    pinned = {canonicalize_name(pin.split("==")[0]): pin.split("==")[1] for pin in pins}
    needed = [Requirement(r) for r in importlib.metadata.requires("requests")]
    needed = {canonicalize_name(r.name) for r in needed if not r.marker}  # no extras
    assert set(pinned) == needed | {"requests"}
    assert pinned["requests"] == importlib.metadata.version("requests")  # the version the tests run


def test_the_import_function_and_the_layer_pin_the_versions_the_tests_run():
    import importlib.metadata

    pinned = [f"{name}=={importlib.metadata.version(name)}" for name in ("ijson", "orjson")]
    assert build_lambda.HANDLER_REQUIREMENTS["import"] == pinned
    assert pinned[1] in build_lambda.LAYER_REQUIREMENTS


def test_an_unchanged_build_gives_the_same_bytes_and_leaves_the_file_alone(out):
    first = build_functions(out)
    modified = (out / "etl.zip").stat().st_mtime_ns
    again = build_functions(out)
    assert first == again
    assert (out / "etl.zip").stat().st_mtime_ns == modified
    assert len(set(first.values())) == 5  # the handlers differ, so the zips do


def test_an_unpinned_requirement_is_refused(out):
    with pytest.raises(build_lambda.BuildError, match="pin an exact version: 'tzdata'"):
        build_lambda.build(out, "x86_64", ["pyarrow==1.0"], "tzdata", only="functions")


def test_the_trimmed_pyarrow_still_writes_and_reads_the_tables(tmp_path):
    """Keep exactly what the layer keeps of the installed pyarrow, then run the ETL's writer on it
    in an interpreter that sees nothing else (the layer is the same files for python3.12)."""
    installed = Path(pyarrow.__file__).parent
    kept = dropped = 0
    for path in installed.rglob("*"):
        name = f"pyarrow/{path.relative_to(installed).as_posix()}"
        if path.is_dir():
            continue
        if build_lambda.excluded(name, build_lambda.LAYER_EXCLUDE):
            dropped += 1
            continue
        target = tmp_path / "python" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        kept += 1
    assert kept and dropped
    assert not list((tmp_path / "python" / "pyarrow").glob("*flight*"))
    # The layer's other package the ETL module imports (obstore only for S3)
    shutil.copytree(Path(orjson.__file__).parent, tmp_path / "python" / "orjson")
    code = """
import sys
from datetime import date
from pathlib import Path
import pyarrow.parquet as pq
from tgpipe import etl, readers, schema
from tgpipe.config import Settings
update = {"update_id": 1, "message": {"message_id": 1, "date": 1763899200, "text": "oi #x",
          "entities": [{"type": "hashtag", "offset": 3, "length": 2}], "chat": {"id": -1, "type": "group"}}}
writer = etl.TableWriter(schema.MESSAGE_COLUMNS, Path(sys.argv[1]))
writer.append(writer.values(readers.Update("{}", update, Settings().timezone)))
writer.close()
table = pq.read_table(sys.argv[1])
print(table.column("hashtags").to_pylist(), pq.__file__.startswith(sys.argv[2]))
"""
    env = {"PYTHONPATH": f"{tmp_path / 'python'}:{ROOT / 'src'}", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-S", "-c", code, str(tmp_path / "t.parquet"), str(tmp_path / "python")],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split("\n")[0] == "[['#x']] True"
