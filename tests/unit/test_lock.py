"""requirements.lock: what `make venv` installs, and what pyproject.toml allows.

The venv is built from the lock alone (pip --require-hashes --no-deps), so a package the lock does
not pin would be missing, and a range in pyproject.toml that the lock falls outside of would mean
the lock was not compiled from it. `make lock` recompiles it (docs/development.md).
"""

import importlib.metadata
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from helpers import ROOT, lock_entries


def applies(requirement: Requirement, extra: str = "") -> bool:
    return requirement.marker is None or requirement.marker.evaluate({"extra": extra})


def pins_here() -> dict[str, str]:
    """{name: version} of the lock's pins for this interpreter and platform."""
    pins = {}
    for requirement, _ in lock_entries():
        if applies(requirement):
            (spec,) = requirement.specifier
            pins[canonicalize_name(requirement.name)] = spec.version
    return pins


def test_every_pin_is_exact_and_hashed():
    for requirement, hashes in lock_entries():
        specs = list(requirement.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", requirement
        assert hashes, f"{requirement.name} has no hash"


@pytest.mark.parametrize("extra", ["", "dev"], ids=["dependencies", "dev"])
def test_the_lock_satisfies_every_range_of_pyproject(extra):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = project["dependencies"] if not extra else project["optional-dependencies"][extra]
    pins = pins_here()
    for text in wanted:
        requirement = Requirement(text)
        if not applies(requirement, extra):
            continue
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is in pyproject.toml but not in requirements.lock: run make lock"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"requirements.lock pins {name}=={pins[name]}, outside {requirement.specifier}: run make lock"
        )


def test_this_venv_is_the_lock():
    """What the tests run is what the lock pins (and so what the Lambda zips take)."""
    pins = pins_here()
    installed = {
        canonicalize_name(d.metadata["Name"]): d.version
        for d in importlib.metadata.distributions()
        if canonicalize_name(d.metadata["Name"]) not in ("tgpipe", "pip")
    }
    assert installed == pins
