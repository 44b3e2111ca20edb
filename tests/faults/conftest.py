"""Fixtures of the fault tests (helpers in tests/faultkit.py): kills, full and read-only disks,
hostile input and clients, all on loopback, every wait bounded."""

import pytest

from faultkit import SITECUSTOMIZE, start_parked


@pytest.fixture(scope="session")
def park_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("park")
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE)
    return folder


@pytest.fixture
def park(park_dir, tmp_path):
    """Start `tgpipe *args` parked at the n-th call of `target`: park(target, n, *args, env=...)."""
    started = []

    def start(target: str, n: int, *args, env: dict | None = None):
        parked = start_parked(park_dir, tmp_path / f"parked-{target}-{n}-{len(started)}", target, n, *args, env=env)
        started.append(parked)
        return parked

    yield start
    for parked in started:
        parked.kill()  # with any worker it left parked
