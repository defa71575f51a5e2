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

from electrolyte3d import ladder
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
LADDER_LIMITS = {shape: ladder.LadderLimits.from_config(config, shape.dimension) for shape in SHAPES.values()}
"""The caps on the grid studies of each kind of shape (mesh, and mesh/cell's memory cap for unit cells)."""
CONVERGENCE = {"criterion": config["convergence"]["quantity"], "tolerance": config["convergence"]["tolerance"]}
TIME_ERROR = {"tolerance_factor": config["convergence"]["time_tolerance_factor"]}
PLOTS = {"time": config["plots"].get("profile_time_s"), "dpi": config["plots"]["dpi"]}
SWEEPS = enabled_sweeps(config)
LADDER_CASES = [name for name, case in CASES.items() if case.resolution.has_ladder]
"""Cases with a grid study of their own; the others are solved on one level (resolution)."""
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
LADDER_GEOMETRIES = sorted({CASES[name].shape.key for name in LADDER_CASES})
ONE_LEVEL_GEOMETRIES = set(GEOMETRIES) - set(LADDER_GEOMETRIES)
"""Geometries only one-level cases use: their geometry, mesh and solve jobs form one group per point."""


wildcard_constraints:
    case=r"[A-Za-z][A-Za-z0-9_-]*",
    geometry=r"g[0-9a-f]{10}",
    level=r"\d+",
    levels=r"\d+",
    sweep=r"[A-Za-z][A-Za-z0-9_-]*",


def known_case(wildcards):
    if wildcards.case not in CASES:
        raise WorkflowError(f"unknown case '{wildcards.case}'; the config defines {', '.join(CASES)}")
    return CASES[wildcards.case]


def geometry_params(wildcards):
    if wildcards.geometry not in GEOMETRIES:
        raise WorkflowError(f"unknown geometry '{wildcards.geometry}'; results/cases.csv lists each case's geometry")
    return SOLVE_PARAMS[GEOMETRY_CASES[wildcards.geometry][0]]["geometry"]


def mesh_settings(shape):
    """The ladder settings of a shape: the 2D ladder's (mesh), or the unit cells' (mesh/cell)."""
    return LADDERS[type(shape)]


def geometry_mesh_settings(wildcards):
    return LADDER_PARAMS[type(GEOMETRIES[wildcards.geometry])]


def case_mesh_settings(wildcards):
    return solve_param(wildcards, "mesh")


def case_mesh(wildcards):
    """The electrolyte mesh a case's solve runs on: its geometry's, at the job's level."""
    return f"results/geometries/{known_case(wildcards).shape.key}/mesh/level{wildcards.level}.npz"


def case_electrode_mesh(wildcards):
    """The electrode mesh of a case's geometry at the job's level (a cathode case solves on it)."""
    return f"results/geometries/{known_case(wildcards).shape.key}/mesh/level{wildcards.level}.electrode.npz"


def solve_param(wildcards, name):
    known_case(wildcards)
    return SOLVE_PARAMS[wildcards.case][name]


def case_geometry(wildcards):
    return solve_param(wildcards, "geometry")


def case_physics(wildcards):
    return solve_param(wildcards, "physics")


def case_cathode(wildcards):
    """The cathode material of a cathode case; empty for an anode case."""
    return solve_param(wildcards, "cathode")


LADDER_PARAMS = {shape: settings.as_params() for shape, settings in LADDERS.items()}
SOLVER_PARAMS = SOLVER_SETTINGS.as_params()
PHYSICS_PARAMS = {}
"""One params dict per distinct physics (a sweep shares one over many geometries)."""


def solve_params(case):
    """What a solve depends on: the rule's params, and the fingerprint its result records."""
    return {
        "geometry": case.shape.as_params(),
        "mesh": LADDER_PARAMS[type(case.shape)],
        "physics": PHYSICS_PARAMS.setdefault(id(case.physics), case.physics.as_params()),
        "cathode": {} if case.cathode is None else case.cathode.as_params(),
        "solver": SOLVER_PARAMS,
        "report_times": REPORT_TIMES,
    }


SOLVE_PARAMS = {name: solve_params(case) for name, case in CASES.items()}
"""Each case's solve params, built once: a job's params are looked up, not rebuilt."""


def ladder_caps(name):
    """The caps of a case's grid study, with the estimated solve memory of each level up to the cap."""
    shape = CASES[name].shape
    limits = LADDER_LIMITS[type(shape)]
    return {
        **limits.as_params(),
        "level_memory_mb": [
            ladder.level_memory_mb(shape, mesh_settings(shape), level) for level in range(limits.max_levels)
        ],
    }


LADDER_CAPS = {name: ladder_caps(name) for name in LADDER_CASES}


EXPECTED_FINGERPRINTS = {
    name: {
        "solve": fingerprint(SOLVE_PARAMS[name]),
        **(
            {
                "convergence": fingerprint(
                    {"convergence": CONVERGENCE, "time_error": TIME_ERROR, "ladder": LADDER_CAPS[name]}
                )
            }
            if name in LADDER_CASES
            else {}
        ),
    }
    for name in CASES
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
    finest = (
        CrossSection.LEVEL0_TRIANGLES
        * LADDERS[CrossSection].size_factor(LADDER_LIMITS[CrossSection].max_levels - 1) ** -2
    )
    return int(500 + 3e-3 * finest)


def mesh_level_memory_mb(wildcards, attempt):
    """500 MB plus the shape's budget per element, times the attempt, so a retry after an
    out-of-memory kill asks for more."""
    return int((500 + job_shape(wildcards).budget.mesh_mb * level_elements(wildcards)) * attempt)


def solve_level_memory_mb(wildcards, attempt):
    """500 MB plus the shape's budget per element (ladder.level_memory_mb), times the attempt."""
    shape = job_shape(wildcards)
    return int(ladder.level_memory_mb(shape, mesh_settings(shape), int(wildcards.level)) * attempt)


def snapshot_levels(wildcards):
    """A 2D case's level results for its field picture; a 3D cell has none (its fields are for ParaView)."""
    if not known_case(wildcards).shape.has_field_picture:
        raise WorkflowError(
            f"case '{wildcards.case}' is a 3D cell, which has no field picture; open its fields in ParaView "
            f"(results/{wildcards.case}/solve/level<N>.xdmf)"
        )
    return level_results(wildcards.case, range(grid_study_levels(wildcards.case)))


def level_results(case, levels):
    return [f"results/{case}/solve/level{level}.nc" for level in levels]


def grid_study_inputs(wildcards):
    """The solves a grid study of ``levels`` levels compares: levels 0 to levels - 1."""
    if not known_case(wildcards).resolution.has_ladder:
        raise WorkflowError(
            f"case '{wildcards.case}' has no grid study of its own "
            f"(resolution {CASES[wildcards.case].resolution.describe()})"
        )
    return level_results(wildcards.case, range(int(wildcards.levels)))


GRID_STUDY_ATTRS = {}
"""(grid_status, production_level) of each grid study already read in this run. Only a study that
checkpoints.get() accepts is read, and Snakemake reruns no checkpoint it has accepted, so an entry
stays true for the run; it spares the thousands of points that borrow one study a file read each."""


def grid_study_verdict(case, levels):
    """The checkpoint's verdict on a grid study of ``levels`` levels: its path, its production level
    and the ladder's stop (None: refine)."""
    path = checkpoints.grid_convergence.get(case=case, levels=levels).output.convergence
    if path not in GRID_STUDY_ATTRS:
        with netCDF4.Dataset(path) as analysis:
            GRID_STUDY_ATTRS[path] = analysis.getncattr("grid_status"), int(analysis.getncattr("production_level"))
    status, production = GRID_STUDY_ATTRS[path]
    return (
        path,
        production,
        ladder.stop(status, levels, LADDER_LIMITS[type(CASES[case].shape)], LADDER_CAPS[case]["level_memory_mb"]),
    )


def grid_study_levels(case):
    """How many levels the grid study of a case ends with: it adds one level after each checkpoint
    until its ladder passes or a cap stops it (ladder.stop)."""
    levels = ladder.MIN_LEVELS
    while grid_study_verdict(case, levels)[2] is None:
        levels += 1
    return levels


def final_grid_study(wildcards):
    return grid_study_verdict(wildcards.case, grid_study_levels(wildcards.case))[0]


def production_level(case):
    """The production level of a case: its grid study's choice, or the level its resolution sets."""
    resolution = CASES[case].resolution
    if resolution.kind == "level":
        return resolution.level
    reference = case if resolution.has_ladder else resolution.reference
    return grid_study_verdict(reference, grid_study_levels(reference))[1]


def solved_levels(case):
    """The levels a case is solved on: its grid study's, or its one level (and the one below, if checked)."""
    resolution = CASES[case].resolution
    if resolution.has_ladder:
        return list(range(grid_study_levels(case)))
    return resolution.levels(production_level(case))


def production_time_error(wildcards):
    """The time-error result of a case's production level, which its grid study (a checkpoint) chose."""
    return f"results/{wildcards.case}/time_error/level{production_level(wildcards.case)}.nc"


def time_error_runtime_min(wildcards):
    """The loose solve costs about 0.7 and the tight one about 1.5 times the production solve."""
    return 3 * solve_level_runtime_min(wildcards)


def every_solve(pattern):
    """An input function: ``pattern`` for every level every case is solved on."""
    return lambda wildcards: [pattern.format(case=case, level=level) for case in CASES for level in solved_levels(case)]


def every_mesh(pattern):
    """An input function: ``pattern`` for every level every geometry is meshed on."""
    return lambda wildcards: [
        pattern.format(geometry=geometry, level=level) for geometry in GEOMETRIES for level in geometry_levels(geometry)
    ]


def collected_solves(wildcards):
    """What the study dataset reads: every case's production level, and the level below for a checked one."""
    return [
        path
        for case in CASES
        for path in level_results(
            case, [production_level(case)] if CASES[case].resolution.has_ladder else solved_levels(case)
        )
    ]


def geometry_levels(geometry):
    return sorted({level for case in GEOMETRY_CASES[geometry] for level in solved_levels(case)})


def point_group(wildcards):
    """On a cluster, a one-level point's geometry, mesh and solve run as one scheduler job (a group;
    the profile's group-components bundles several points); a grid study's levels stay separate jobs."""
    if "geometry" in wildcards.keys():
        return "sweep_point" if wildcards.geometry in ONE_LEVEL_GEOMETRIES else None
    return None if known_case(wildcards).resolution.has_ladder else "sweep_point"


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
        *expand("results/geometries/{geometry}/mesh/preview.png", geometry=LADDER_GEOMETRIES),
        *expand("results/{case}/convergence.png", case=LADDER_CASES),
        *expand("results/{case}/field.png", case=FIELD_SNAPSHOTS),
        *(["results/plots/ridge_vs_cell.png"] if RIDGE_CELL_GROUPS else []),
    ]
