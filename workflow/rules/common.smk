import os
import sys
from dataclasses import asdict
from pathlib import Path

import netCDF4
from snakemake.logging import logger

# The science package sits beside the rules; make it importable here and in every job's script.
PACKAGE_ROOT = str(Path(workflow.current_basedir).parent)
sys.path.insert(0, PACKAGE_ROOT)
os.environ.update(PYTHONPATH=os.pathsep.join(filter(None, [PACKAGE_ROOT, os.environ.get("PYTHONPATH")])))

from electrolyte3d.cases import cases_from_config, enabled_sweeps, invalid_cases
from electrolyte3d.config import ConfigError, read_yaml, validate_config
from electrolyte3d.settings import SolverSettings, report_times
from electrolyte3d.shapes import SHAPES, CrossSection
from electrolyte3d.io import fingerprint
from electrolyte3d.study import ridge_cell_groups
from electrolyte3d.summary import case_row, invalid_case_row

try:
    for path in workflow.configfiles:
        read_yaml(path)  # Snakemake's own loader would keep the last of two equal keys silently
    validate_config(config)
    CASES = cases_from_config(config)
    INVALID_CASES = invalid_cases(config)
    LADDERS = {shape: shape.settings_type.from_config(config) for shape in SHAPES.values()}
    """The ladder settings of each kind of shape (mesh, and mesh/cell for unit cells)."""
except ConfigError as error:
    raise WorkflowError(f"invalid configuration: {error}") from None
if INVALID_CASES:
    logger.warning(
        f"skipping {len(INVALID_CASES)} sweep point(s) with an impossible geometry (invalid_points: skip); "
        "they are listed in results/summary.csv with status invalid_geometry:\n"
        + "\n".join(f"  {case.reason}" for case in INVALID_CASES)
    )
SOLVER_SETTINGS = SolverSettings.from_config(config)
REPORT_TIMES = report_times(config)
LEVELS = list(range(config["mesh"]["levels"]))
CONVERGENCE = {"criterion": config["convergence"]["quantity"], "tolerance": config["convergence"]["tolerance"]}
TIME_ERROR = {"tolerance_factor": config["convergence"]["time_tolerance_factor"]}
PLOTS = {"time": config["plots"].get("profile_time_s"), "dpi": config["plots"]["dpi"]}
SWEEPS = enabled_sweeps(config)
DESIGNS = [name for name in CASES if CASES[name].design in config["designs"]]
FIELD_SNAPSHOTS = [name for name in DESIGNS if CASES[name].shape.has_field_picture]
"""Designs with a field picture: the 2D ones (a 3D cell's fields are for ParaView, level<N>.xdmf)."""
CASE_DESCRIPTORS = {name: case.descriptors() for name, case in CASES.items()}
RIDGE_CELL_GROUPS = ridge_cell_groups(CASE_DESCRIPTORS)
"""Pillars a study has both as 2D ridges and as 3D cells: what ridge_vs_cell.png compares."""
GEOMETRIES = {case.shape.key: case.shape for case in CASES.values()}
GEOMETRY_CASES = {key: [] for key in GEOMETRIES}
for name, case in CASES.items():
    GEOMETRY_CASES[case.shape.key].append(name)


wildcard_constraints:
    case=r"[A-Za-z][A-Za-z0-9_-]*",
    geometry=r"g[0-9a-f]{10}",
    level=r"\d+",
    sweep=r"[A-Za-z][A-Za-z0-9_-]*",


def known_case(wildcards):
    if wildcards.case not in CASES:
        raise WorkflowError(f"unknown case '{wildcards.case}'; the config defines {', '.join(CASES)}")
    return CASES[wildcards.case]


def geometry_params(wildcards):
    if wildcards.geometry not in GEOMETRIES:
        raise WorkflowError(f"unknown geometry '{wildcards.geometry}'; results/cases.csv lists each case's geometry")
    return GEOMETRIES[wildcards.geometry].as_params()


def mesh_settings(shape):
    """The ladder settings of a shape: the 2D ladder's (mesh), or the unit cells' (mesh/cell)."""
    return LADDERS[type(shape)]


def geometry_mesh_settings(wildcards):
    return mesh_settings(GEOMETRIES[wildcards.geometry]).as_params()


def case_mesh_settings(wildcards):
    return mesh_settings(known_case(wildcards).shape).as_params()


def case_mesh(wildcards):
    """The electrolyte mesh a case's solve runs on: its geometry's, at the job's level."""
    return f"results/geometries/{known_case(wildcards).shape.key}/mesh/level{wildcards.level}.npz"


def case_electrode_mesh(wildcards):
    """The electrode mesh of a case's geometry at the job's level (a cathode case solves on it)."""
    return f"results/geometries/{known_case(wildcards).shape.key}/mesh/level{wildcards.level}.electrode.npz"


def case_geometry(wildcards):
    return known_case(wildcards).shape.as_params()


def case_physics(wildcards):
    return known_case(wildcards).physics.as_params()


def case_cathode(wildcards):
    """The cathode material of a cathode case; empty for an anode case."""
    cathode = known_case(wildcards).cathode
    return {} if cathode is None else cathode.as_params()


def solve_params(case):
    """What a solve depends on: the rule's params, and the fingerprint its result records."""
    return {
        "geometry": case.shape.as_params(),
        "mesh": mesh_settings(case.shape).as_params(),
        "physics": case.physics.as_params(),
        "cathode": {} if case.cathode is None else case.cathode.as_params(),
        "solver": SOLVER_SETTINGS.as_params(),
        "report_times": REPORT_TIMES,
    }


EXPECTED_FINGERPRINTS = {
    name: {
        "solve": fingerprint(solve_params(case)),
        "convergence": fingerprint({"convergence": CONVERGENCE, "time_error": TIME_ERROR}),
    }
    for name, case in CASES.items()
}
"""The config_sha256 each case's solve and convergence results must carry to be current."""


def job_shape(wildcards):
    """The shape a mesh job (by its geometry wildcard) or a solve job (by its case) works on."""
    return GEOMETRIES[wildcards.geometry] if "geometry" in wildcards.keys() else known_case(wildcards).shape


def level_elements(wildcards):
    """The estimated elements of a job's level (triangles of a section, electrolyte nodes of a
    unit cell), on which its shape's budget is priced."""
    shape = job_shape(wildcards)
    return shape.estimated_elements(mesh_settings(shape), int(wildcards.level))


def mesh_level_runtime_min(wildcards):
    """5 min plus the shape's budget per element; README "Performance" has what was measured."""
    return int(5 + job_shape(wildcards).budget.mesh_s * level_elements(wildcards) / 60)


def solve_level_runtime_min(wildcards):
    """5 min plus the shape's budget per element, generous because the step count grows with
    end_time and the physics."""
    return int(5 + job_shape(wildcards).budget.solve_s * level_elements(wildcards) / 60)


def field_snapshot_memory_mb(wildcards):
    """500 MB plus 3 kB per triangle of the finest level of the largest paper section."""
    finest = CrossSection.LEVEL0_TRIANGLES * LADDERS[CrossSection].size_factor(LEVELS[-1]) ** -2
    return int(500 + 3e-3 * finest)


def mesh_level_memory_mb(wildcards, attempt):
    """500 MB plus the shape's budget per element, times the attempt, so a retry after an
    out-of-memory kill asks for more."""
    return int((500 + job_shape(wildcards).budget.mesh_mb * level_elements(wildcards)) * attempt)


def solve_level_memory_mb(wildcards, attempt):
    """500 MB plus the shape's budget per element, times the attempt."""
    return int((500 + job_shape(wildcards).budget.solve_mb * level_elements(wildcards)) * attempt)


def snapshot_levels(wildcards):
    """A 2D case's level results for its field picture; a 3D cell has none (its fields are for ParaView)."""
    if not known_case(wildcards).shape.has_field_picture:
        raise WorkflowError(
            f"case '{wildcards.case}' is a 3D cell, which has no field picture; open its fields in ParaView "
            f"(results/{wildcards.case}/solve/level<N>.xdmf)"
        )
    return case_levels(wildcards)


def production_time_error(wildcards):
    """The time-error result of a case's production level, which its grid study (a checkpoint) chose."""
    grid = checkpoints.grid_convergence.get(case=wildcards.case).output.convergence
    with netCDF4.Dataset(grid) as analysis:
        level = int(analysis.getncattr("production_level"))
    return f"results/{wildcards.case}/time_error/level{level}.nc"


def time_error_runtime_min(wildcards):
    """The loose solve costs about 0.7 and the tight one about 1.5 times the production solve."""
    return 3 * solve_level_runtime_min(wildcards)


def case_levels(wildcards):
    known_case(wildcards)
    return expand("results/{case}/solve/level{level}.nc", case=wildcards.case, level=LEVELS)


def all_outputs():
    return [
        "results/mesh_report.csv",
        "results/solve_report.csv",
        "results/convergence_report.csv",
        "results/grid_independence.html",
        "results/study.nc",
        "results/summary.csv",
        "results/plots/interface_profiles.png",
        "results/plots/uniformity.png",
        *expand("results/plots/sweep_{sweep}.png", sweep=SWEEPS),
        *(["results/plots/cathode.png"] if any(case.study == "cathode" for case in CASES.values()) else []),
        "results/cases.csv",
        *expand("results/geometries/{geometry}/mesh/preview.png", geometry=GEOMETRIES),
        *expand("results/{case}/convergence.png", case=CASES),
        *expand("results/{case}/field.png", case=FIELD_SNAPSHOTS),
        *(["results/plots/ridge_vs_cell.png"] if RIDGE_CELL_GROUPS else []),
    ]
