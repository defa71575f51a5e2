import os
import sys
from pathlib import Path

# The science package sits beside the rules; make it importable here and in every job's script.
PACKAGE_ROOT = str(Path(workflow.current_basedir).parent)
sys.path.insert(0, PACKAGE_ROOT)
os.environ.update(PYTHONPATH=os.pathsep.join(filter(None, [PACKAGE_ROOT, os.environ.get("PYTHONPATH")])))

from electrolyte3d.config import (
    ConfigError,
    MeshSettings,
    SolverSettings,
    cases_from_config,
    read_yaml,
    report_times,
    validate_config,
)

try:
    for path in workflow.configfiles:
        read_yaml(path)  # Snakemake's own loader would keep the last of two equal keys silently
    validate_config(config)
    CASES = cases_from_config(config)
    MESH_SETTINGS = MeshSettings.from_config(config)
except ConfigError as error:
    raise WorkflowError(f"invalid configuration: {error}") from None
SOLVER_SETTINGS = SolverSettings.from_config(config)
REPORT_TIMES = report_times(config)
LEVELS = list(range(config["mesh"]["levels"]))


wildcard_constraints:
    case=r"[A-Za-z][A-Za-z0-9_-]*",
    level=r"\d+",


def known_case(wildcards):
    if wildcards.case not in CASES:
        raise WorkflowError(f"unknown case '{wildcards.case}'; the config defines {', '.join(CASES)}")
    return CASES[wildcards.case]


def case_geometry(wildcards):
    return known_case(wildcards).geometry.as_params()


def case_physics(wildcards):
    return known_case(wildcards).physics.as_params()


LEVEL0_TRIANGLES = 7.5e4
"""Triangles in the level-0 mesh of the largest paper design (spiral; results/mesh_report.csv)."""


def level_triangles(wildcards):
    return LEVEL0_TRIANGLES * MESH_SETTINGS.size_factor(int(wildcards.level)) ** -2


def mesh_level_memory_mb(wildcards):
    """Measured peak (results/benchmarks/mesh): ~140 MB plus ~0.4 kB per triangle. Rounded up."""
    return int(500 + 1e-3 * level_triangles(wildcards))


def solve_level_memory_mb(wildcards):
    """Measured peak (results/benchmarks/solve): ~250 MB plus ~3.2 kB per electrolyte triangle
    (about 5/6 of all). Rounded up."""
    return int(500 + 3.5e-3 * level_triangles(wildcards))


def all_outputs():
    return [
        "results/mesh_report.csv",
        "results/solve_report.csv",
        *expand("results/{case}/mesh/level{level}.msh", case=CASES, level=LEVELS),
        *expand("results/{case}/mesh/preview.png", case=CASES),
        *expand("results/{case}/solve/level{level}.nc", case=CASES, level=LEVELS),
    ]
