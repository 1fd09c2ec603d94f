"""The lock (requirements/lock.txt, compiled by `make lock`) agrees with pyproject.toml's ranges and with the
environment the suite runs in, so what a user installs with `make` is what was tested."""

import re
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]


def locked() -> dict[str, Version]:
    """Name → pinned version of every `name==version` line of the lock."""
    pins = {}
    for line in (ROOT / "requirements" / "lock.txt").read_text().splitlines():
        if m := re.fullmatch(r"([A-Za-z0-9._-]+)==(\S+)", line.strip()):
            pins[canonicalize_name(m[1])] = Version(m[2])
    return pins


def declared() -> list[Requirement]:
    """pyproject.toml's requirements, every extra included."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        reqs += extra
    return [Requirement(r) for r in reqs]


@pytest.mark.parametrize("req", declared(), ids=str)
def test_every_requirement_is_locked_inside_its_range(req):
    pins = locked()
    name = canonicalize_name(req.name)
    assert name in pins, f"{req.name} is in pyproject.toml but not in the lock: run `make lock`"
    assert req.specifier.contains(pins[name], prereleases=True), \
        f"the lock pins {req.name}=={pins[name]} outside pyproject.toml's {req.specifier}: run `make lock`"


def test_the_lock_pins_the_torch_the_makefile_installs():
    torch_pin = (ROOT / "requirements" / "torch.in").read_text()
    assert f"torch=={locked()['torch']}" in torch_pin.splitlines()


def test_the_installed_packages_are_the_locked_ones():
    """A stale environment (the lock changed, `make` did not reinstall) fails here, not somewhere obscure."""
    stale = []
    for name, pinned in locked().items():
        try:
            installed = Version(version(name))
        except PackageNotFoundError:
            continue  # a locked package of a platform or extra this environment does not use
        if Version(installed.public) != pinned:  # torch's local label (+cpu) aside
            stale.append(f"{name} {installed} (lock: {pinned})")
    assert not stale, "installed versions differ from the lock: " + ", ".join(stale)
