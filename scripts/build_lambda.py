"""Build the Lambda zips: one per handler, and the pyarrow layer of the ETL.

    python scripts/build_lambda.py --out dist --arch x86_64

- `dist/{ingest,etl,import,repair,webhookcheck}.zip`: `handler.py` at the root, the `tgpipe`
  package, and the pure-Python `tzdata` package (zoneinfo needs a tz database; the Lambda image
  may have none). boto3 comes from the runtime. Some functions need more (HANDLER_REQUIREMENTS):
  the webhook check calls the Bot API, so its zip has requests and what requests needs; the
  import function streams exports with ijson (its manylinux wheel, with the C parser) and writes
  their messages with orjson. The other functions never import them.
- `dist/pyarrow-layer-<arch>.zip`: the ETL's compiled dependencies under `python/`, from PyPI's
  manylinux wheels for CPython 3.12 on the Lambda architecture: pyarrow (without what the ETL
  never loads: Arrow Flight, C++ headers, Cython sources, tests, so the layer stays under Lambda's
  50 MB direct-upload limit), obstore (the ETL's concurrent S3 reads) and orjson (the ETL's
  reading of imported messages).

The zips are reproducible: entries sorted, fixed timestamps and permissions, so an unchanged
build gives the same bytes and Terraform sees no change to deploy. Wheels are downloaded once
into `<out>/wheels/<arch>/`. Only the standard library (and pip, for the download) is used.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HANDLERS = ("ingest", "etl", "import", "repair", "webhookcheck")
#: Wheels a handler's zip has besides tzdata, pinned (keep in step with pyproject.toml).
HANDLER_REQUIREMENTS = {
    "import": ["ijson==3.6.0", "orjson==3.13.0"],
    "webhookcheck": [
        "requests==2.34.2",
        "urllib3==2.8.0",
        "certifi==2026.10.19.post1",
        "idna==3.20",
        "charset-normalizer==3.5.3",
    ],
}
PYTHON_VERSION = "3.12"
#: PyPI platform tags per Lambda architecture: the newest manylinux that Amazon Linux 2023
#: (glibc 2.34) runs, then the older one that wheels of earlier releases use.
PLATFORMS = {
    "x86_64": ("manylinux_2_28_x86_64", "manylinux2014_x86_64"),
    "arm64": ("manylinux_2_28_aarch64", "manylinux2014_aarch64"),
}
#: Lambda refuses a zip uploaded directly (not from S3) above this size.
MAX_DIRECT_UPLOAD = 50 * 1000 * 1000
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
#: The ETL's compiled dependencies, pinned (keep in step with pyproject.toml).
LAYER_REQUIREMENTS = ["pyarrow==26.0.1", "obstore==0.12.1", "orjson==3.13.0"]


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


def download(requirement: str, arch: str, cache: Path) -> Path:
    """Return the wheel of `requirement` (name==version) for the Lambda platform, downloading it once."""
    name, _, version = requirement.partition("==")
    if not version:
        raise BuildError(f"pin an exact version: {requirement!r} (expected name==version)")
    stem = name.replace("-", "_").lower()
    found = sorted(cache.glob(f"{stem}-{version}-*.whl"))
    if not found:
        cache.mkdir(parents=True, exist_ok=True)
        platforms = [arg for platform in PLATFORMS[arch] for arg in ("--platform", platform)]
        command = [
            sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps",
            "--only-binary=:all:", "--implementation", "cp", "--python-version", PYTHON_VERSION,
            *platforms, "--dest", str(cache), requirement,
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True)
        found = sorted(cache.glob(f"{stem}-{version}-*.whl"))
        if result.returncode != 0 or not found:
            detail = (result.stderr.strip().splitlines() or ["no wheel downloaded"])[-1]
            raise BuildError(f"cannot download {requirement} for {arch} (python {PYTHON_VERSION}): {detail}")
    return found[-1]


def build(
    out: Path,
    arch: str,
    layer_requirements: Iterable[str],
    tzdata: str,
    only: str | None = None,
    handler_requirements: Mapping[str, Iterable[str]] = HANDLER_REQUIREMENTS,
) -> dict[str, str]:
    """Build the zips into `out`; return {zip name: sha256}."""
    out.mkdir(parents=True, exist_ok=True)
    cache = out / "wheels" / arch
    built = {}
    if only in (None, "functions"):
        tz = list(wheel_files(download(tzdata, arch, cache)))
        shared = list(package_files(ROOT / "src" / "tgpipe", "tgpipe"))
        for handler in HANDLERS:
            extra = [
                (name, data)
                for requirement in handler_requirements.get(handler, ())
                for name, data in wheel_files(download(requirement, arch, cache))
                if not excluded(name, ("*/__pycache__/*",))
            ]
            files = [("handler.py", (ROOT / "src" / handler / "handler.py").read_bytes()), *shared, *tz, *extra]
            built[f"{handler}.zip"] = write_zip(out / f"{handler}.zip", files)
    if only in (None, "layer"):
        files = [
            (f"python/{name}", data)
            for requirement in layer_requirements
            for name, data in wheel_files(download(requirement, arch, cache))
            if not excluded(name, LAYER_EXCLUDE)
        ]
        layer = out / f"pyarrow-layer-{arch}.zip"
        built[layer.name] = write_zip(layer, files)
        size = layer.stat().st_size
        if size > MAX_DIRECT_UPLOAD:
            raise BuildError(
                f"{layer} is {size / 1e6:.1f} MB, over Lambda's {MAX_DIRECT_UPLOAD / 1e6:.0f} MB direct upload limit"
                " (exclude more in LAYER_EXCLUDE or pin another pyarrow)"
            )
    return built


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    parser.add_argument("--arch", choices=sorted(PLATFORMS), default="x86_64")
    parser.add_argument("--layer", nargs="+", default=LAYER_REQUIREMENTS, help="pinned packages of the ETL layer")
    parser.add_argument("--tzdata", default="tzdata==2026.6", help="pinned tzdata for the function zips")
    parser.add_argument("--only", choices=("functions", "layer"), help="build only the function zips or the layer")
    args = parser.parse_args(argv)
    try:
        built = build(args.out, args.arch, args.layer, args.tzdata, args.only)
    except BuildError as e:
        print(f"Error: {e}", file=sys.stderr)
        return 1
    for name, digest in built.items():
        path = args.out / name
        print(f"{path}  {path.stat().st_size / 1e6:6.1f} MB  sha256 {digest[:16]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
