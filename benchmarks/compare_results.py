"""Compare two results directories file by file: every netCDF variable's values and attributes,
every CSV column and every JSON key, leaving out what records when, where and how fast a job ran.

    python benchmarks/compare_results.py OLD/results NEW/results

Use it to show that a change of the code leaves results as they were: copy a results directory
made before the change, rerun its solves with the new code (``snakemake --forcerun solve``) and
compare. Values are compared exactly; a difference prints the largest relative change. Exits 1
when anything differs.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

PROVENANCE = {
    "git_revision",
    "assembly_time_s",
    "linear_solve_time_s",
    "wall_time_s",
    "loose_wall_time_s",
    "production_wall_time_s",
    "tight_wall_time_s",
    "wall_s_per_step",
    "pardiso_share",
    "assembly_share",
    "peak_rss_mb",
    "mesh_wall_s",
    "solve_wall_s",
}
"""Attributes and columns that record the run (revision, timings, memory), not the result."""


def _differences(old: Path, new: Path) -> list[str]:
    if old.suffix == ".nc":
        return _netcdf_differences(old, new)
    if old.suffix == ".csv":
        a, b = pd.read_csv(old), pd.read_csv(new)
        if list(a.columns) != list(b.columns):
            return [f"columns differ: {sorted(set(a.columns) ^ set(b.columns))}"]
        return [
            f"column {column} differs"
            for column in a.columns
            if column not in PROVENANCE and not a[column].equals(b[column])
        ]
    if old.suffix == ".json":
        a, b = json.loads(old.read_text()), json.loads(new.read_text())
        return [
            f"key {key} differs"
            for key in sorted(set(a) | set(b))
            if key not in PROVENANCE and a.get(key) != b.get(key)
        ]
    if old.suffix == ".xdmf":
        return [] if old.read_bytes() == new.read_bytes() else ["XDMF text differs"]
    return []


def _netcdf_differences(old: Path, new: Path) -> list[str]:
    with xr.open_dataset(old) as a, xr.open_dataset(new) as b:
        found = []
        if set(a.variables) != set(b.variables):
            found.append(f"variables differ: {sorted(set(a.variables) ^ set(b.variables))}")
        for name in sorted(set(a.variables) & set(b.variables)):
            x, y = a[name].values, b[name].values
            if x.shape != y.shape:
                found.append(f"{name}: shape {x.shape} against {y.shape}")
            elif x.dtype.kind in "fc" and not np.array_equal(x, y, equal_nan=True):
                changes = np.abs(x - y) / np.maximum(np.abs(x), np.finfo(float).tiny)
                where = np.isfinite(changes)
                largest = f"largest relative change {changes[where].max():.3g}" if where.any() else "NaN in one only"
                found.append(f"{name}: values differ ({largest})")
            elif x.dtype.kind not in "fc" and not np.array_equal(x, y):
                found.append(f"{name}: values differ")
            if _plain(a[name].attrs) != _plain(b[name].attrs):
                found.append(f"{name}: attributes differ")
        attrs = {key for key in set(a.attrs) | set(b.attrs) if key not in PROVENANCE}
        changed = sorted(key for key in attrs if str(a.attrs.get(key)) != str(b.attrs.get(key)))
        if changed:
            found.append(f"global attributes differ: {', '.join(changed)}")
        return found


def _plain(attrs: dict) -> dict:
    return {key: str(value) for key, value in attrs.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    arguments = parser.parse_args()
    compared = differing = 0
    for old in sorted(arguments.old.rglob("*")):
        relative = old.relative_to(arguments.old)
        if old.is_dir() or {"logs", "benchmarks"} & set(relative.parts):
            continue
        new = arguments.new / relative
        found = [f"missing in {arguments.new}"] if not new.exists() else _differences(old, new)
        compared += old.suffix in (".nc", ".csv", ".json", ".xdmf")
        differing += bool(found)
        for line in found:
            print(f"{relative}: {line}")
    print(f"{compared} files compared, {differing} differ")
    return int(differing > 0)


if __name__ == "__main__":
    sys.exit(main())
