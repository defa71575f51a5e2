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

from electrolyte3d.config import (
    CellMeshSettings,
    ConfigError,
    MeshSettings,
    SolverSettings,
    cases_from_config,
    enabled_sweeps,
    invalid_cases,
    read_yaml,
    report_times,
    validate_config,
)
from electrolyte3d.io import fingerprint
from electrolyte3d.study import case_row, descriptors, invalid_case_row, ridge_cell_groups

try:
    for path in workflow.configfiles:
        read_yaml(path)  # Snakemake's own loader would keep the last of two equal keys silently
    validate_config(config)
    CASES = cases_from_config(config)
    INVALID_CASES = invalid_cases(config)
    MESH_SETTINGS = MeshSettings.from_config(config)
    CELL_MESH_SETTINGS = CellMeshSettings.from_config(config)
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
FIELD_SNAPSHOTS = [name for name in DESIGNS if CASES[name].geometry.dimension == 2]
"""Designs with a field picture: the 2D ones (a 3D cell's fields are for ParaView, level<N>.xdmf)."""
CASE_DESCRIPTORS = {name: descriptors(case) for name, case in CASES.items()}
RIDGE_CELL_GROUPS = ridge_cell_groups(CASE_DESCRIPTORS)
"""Pillars a study has both as 2D ridges and as 3D cells: what ridge_vs_cell.png compares."""
GEOMETRIES = {case.geometry.key: case.geometry for case in CASES.values()}
GEOMETRY_CASES = {key: [] for key in GEOMETRIES}
for name, case in CASES.items():
    GEOMETRY_CASES[case.geometry.key].append(name)


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


def mesh_settings(geometry):
    """The ladder settings of a geometry: the 2D ladder's, or the 3D cells' (mesh/cell)."""
    return CELL_MESH_SETTINGS if geometry.dimension == 3 else MESH_SETTINGS


def geometry_mesh_settings(wildcards):
    return mesh_settings(GEOMETRIES[wildcards.geometry]).as_params()


def case_mesh_settings(wildcards):
    return mesh_settings(known_case(wildcards).geometry).as_params()


def case_mesh(wildcards):
    """The electrolyte mesh a case's solve runs on: its geometry's, at the job's level."""
    return f"results/geometries/{known_case(wildcards).geometry.key}/mesh/level{wildcards.level}.npz"


def case_electrode_mesh(wildcards):
    """The electrode mesh of a case's geometry at the job's level (a cathode case solves on it)."""
    return f"results/geometries/{known_case(wildcards).geometry.key}/mesh/level{wildcards.level}.electrode.npz"


def case_geometry(wildcards):
    return known_case(wildcards).geometry.as_params()


def case_physics(wildcards):
    return known_case(wildcards).physics.as_params()


def case_cathode(wildcards):
    """The cathode material of a cathode case; empty for an anode case."""
    cathode = known_case(wildcards).cathode
    return {} if cathode is None else cathode.as_params()


def solve_params(case):
    """What a solve depends on: the rule's params, and the fingerprint its result records."""
    return {
        "geometry": case.geometry.as_params(),
        "mesh": mesh_settings(case.geometry).as_params(),
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


LEVEL0_TRIANGLES = 7.5e4
"""Triangles in the level-0 mesh of the largest paper design (spiral; results/mesh_report.csv)."""
LEVEL0_INTERFACE_LENGTH = 2.6e-3
"""Its interface length, m: the graded interface and its boundary layer hold most triangles, so
other geometries are estimated in proportion (planar 1.4 mm: 3.2e4 measured, 4.0e4 estimated)."""


FINEST_CELL_NODES = 3.8e4
"""Electrolyte nodes of level 3 of the paper's hexagonal cell (100 um pillars at a 400 um pitch;
results/mesh_report.csv of config/studies/pillars-3d.yaml)."""
FINEST_CELL_INTERFACE_AREA = 9.28e-8
"""Its interface area, m2: other cells are estimated in proportion."""


def job_geometry(wildcards):
    """The geometry a mesh job (by its geometry wildcard) or a solve job (by its case) works on."""
    return GEOMETRIES[wildcards.geometry] if "geometry" in wildcards.keys() else known_case(wildcards).geometry


def level_cell_nodes(wildcards):
    """Estimated electrolyte nodes of a 3D cell's level (the count grows by at most
    refinement_ratio**3 per level)."""
    geometry = job_geometry(wildcards)
    scale = max(geometry.interface_area / FINEST_CELL_INTERFACE_AREA, 0.25)
    return (
        scale
        * FINEST_CELL_NODES
        * (CELL_MESH_SETTINGS.size_factor(int(wildcards.level)) / CELL_MESH_SETTINGS.size_factor(3)) ** -3
    )


def is_cell(wildcards):
    return job_geometry(wildcards).dimension == 3


def level_triangles(wildcards):
    geometry = job_geometry(wildcards)
    scale = max(geometry.interface_length / LEVEL0_INTERFACE_LENGTH, 0.5)
    if geometry.electrode_solved:
        scale *= 2  # a cathode's boundary layer about doubles the count (cathode_pillar level 0: 148k, 81k of them electrolyte)
    return scale * LEVEL0_TRIANGLES * MESH_SETTINGS.size_factor(int(wildcards.level)) ** -2


def mesh_level_runtime_min(wildcards):
    """Measured (results/mesh_report.csv, with the .npz export): at most 22 s for 5.4e5
    triangles; budget 5 min plus 0.1 ms per triangle. A 3D cell: 5 min plus 5 ms per electrolyte node."""
    if is_cell(wildcards):
        return int(5 + 5e-3 * level_cell_nodes(wildcards) / 60)
    return int(5 + 1e-4 * level_triangles(wildcards) / 60)


def solve_level_runtime_min(wildcards):
    """Measured (results/solve_report.csv): about 0.5 ms of wall per electrolyte triangle for a
    transient run to depletion (pillar level 3: 66 steps, 231 s). Budgeted generously, 5 min plus
    4 ms per triangle, because the step count grows with end_time and the physics. A 3D cell
    (results/solve_report.csv of config/studies/pillars-3d.yaml): hexagonal level 3, 3.8e4
    electrolyte nodes, 212 s to depletion, 2 s per Newton iteration on one thread; budget 5 min
    plus 40 ms per node."""
    if is_cell(wildcards):
        return int(5 + 4e-2 * level_cell_nodes(wildcards) / 60)
    return int(5 + 4e-3 * level_triangles(wildcards) / 60)


def field_snapshot_memory_mb(wildcards):
    """Measured: 1.24 GB to read the fields of the finest pillar level (4.4e5 triangles, 25 times)."""
    return int(500 + 3e-3 * LEVEL0_TRIANGLES * MESH_SETTINGS.size_factor(LEVELS[-1]) ** -2)


def mesh_level_memory_mb(wildcards, attempt):
    """Measured peak (results/benchmarks/mesh): ~140 MB plus ~0.4 kB per triangle. Rounded up,
    and multiplied by the attempt, so a retry after an out-of-memory kill asks for more. A 3D cell:
    500 MB plus 20 kB per electrolyte node."""
    if is_cell(wildcards):
        return int((500 + 2e-2 * level_cell_nodes(wildcards)) * attempt)
    return int((500 + 1e-3 * level_triangles(wildcards)) * attempt)


def solve_level_memory_mb(wildcards, attempt):
    """Measured peak (results/benchmarks/solve): ~250 MB plus ~3.2 kB per electrolyte triangle
    (about 5/6 of all). Rounded up, and multiplied by the attempt. A 3D cell: 1.11 GB at 3.8e4
    electrolyte nodes (hexagonal level 3; PARDISO's fill-in dominates); budget 500 MB plus 40 kB
    per node."""
    if is_cell(wildcards):
        return int((500 + 4e-2 * level_cell_nodes(wildcards)) * attempt)
    return int((500 + 3.5e-3 * level_triangles(wildcards)) * attempt)


def snapshot_levels(wildcards):
    """A 2D case's level results for its field picture; a 3D cell has none (its fields are for ParaView)."""
    if known_case(wildcards).geometry.dimension == 3:
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
