"""File plumbing shared by the rule scripts: logs that capture gmsh's output, atomic writes."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
from collections.abc import Mapping
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path


def log_to(path: str | Path) -> None:
    """Send this process's stdout and stderr to ``path``, including what C libraries (gmsh) print,
    and timestamp the ``logging`` records so a job's progress can be followed with ``tail -f``."""
    sys.stdout.flush()
    sys.stderr.flush()
    log = open(path, "w", buffering=1)
    os.dup2(log.fileno(), sys.stdout.fileno())
    os.dup2(log.fileno(), sys.stderr.fileno())
    sys.stdout.reconfigure(line_buffering=True)
    sys.stderr.reconfigure(line_buffering=True)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr, force=True
    )
    logging.getLogger("skfem").setLevel(logging.WARNING)  # one line per assembly otherwise


@contextmanager
def atomic_path(path: str | Path):
    """A temporary name beside ``path`` (same suffix, so writers can infer the format) that is
    renamed to ``path`` only when the block succeeds; a failed or killed write leaves no ``path``."""
    path = Path(path)
    partial = path.with_name(f".{path.stem}.partial{path.suffix}")
    try:
        yield str(partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def write_json(data: dict, path: str | Path) -> None:
    with atomic_path(path) as partial, open(partial, "w") as stream:
        json.dump(data, stream, indent=2)
        stream.write("\n")


def read_json(path: str | Path) -> dict:
    with open(path) as stream:
        return json.load(stream)


PACKAGES = ("electrolyte3d", "gmsh", "scikit-fem", "pypardiso", "numpy", "scipy", "xarray", "netCDF4", "snakemake")


PROVENANCE_KEYS = ("config_sha256", "package_versions", "git_revision")
"""What :func:`provenance` adds to a result file."""


def cf_attrs(long_name: str, units: str) -> dict:
    """The CF attributes of a netCDF variable or coordinate: what it is and its units."""
    return {"long_name": long_name, "units": units}


def fingerprint(values: Mapping) -> str:
    """SHA-256 of the configuration values a file depends on (canonical JSON)."""
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=float).encode()).hexdigest()


def provenance(params: Mapping) -> dict:
    """What a result file records about its making: the fingerprint of the job's ``params``
    (exactly the configuration values it depends on), package versions and the git revision."""
    try:
        revision = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--abbrev=12"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        revision = "unknown (not a git checkout)"
    return {
        "config_sha256": fingerprint(params),
        "package_versions": "; ".join(f"{name} {metadata.version(name)}" for name in PACKAGES),
        "git_revision": revision,
    }
