"""The result of one solve as an xarray Dataset with CF-style attributes, and its files
(netCDF4 for the interface data, XDMF for the fields in ParaView), written atomically."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr
from skfem import asm

from electrolyte3d import forms, io
from electrolyte3d.cathode import CathodeProblem
from electrolyte3d.geometry import INTERFACE
from electrolyte3d.io import cf_attrs
from electrolyte3d.mesh_quality import first_layer_height, first_layer_thickness
from electrolyte3d.metrics import area_fraction_above, depth_average_operator, interface_of
from electrolyte3d.parameters import FARADAY
from electrolyte3d.problem import Problem
from electrolyte3d.settings import SolverSettings
from electrolyte3d.shapes import SHAPES, element_count
from electrolyte3d.solution import Solution
from electrolyte3d.study import DEPTH_NORM

STATISTICS = {
    "mean": "{weighted} mean",
    "min": "minimum",
    "max": "maximum",
    "std": "{weighted} standard deviation",
    "cv": "coefficient of variation (std / mean)",
    "within_10pct": "fraction of the interface {measure} within +-10 % of the mean",
}
"""Statistics over the interface; in 2D length-weighted along it, in 3D area-weighted over it."""
FIELDS = {
    "c": ("salt (Li+) concentration at the interface", "mol m-3"),
    "i_loc": ("reaction current density into the electrode at the interface (plating or intercalation)", "A m-2"),
}


EVENT_TIMES = {"depleted": "depletion_time", "saturated": "saturation_time"}
"""The attribute (without its _s) that records when a case ended with each event status."""


def build(problem: Problem, solution: Solution, settings: SolverSettings, metadata: dict) -> xr.Dataset:
    """Interface profiles and their statistics at every snapshot; ``metadata`` (case, design,
    mesh level and counts...) goes into the attributes beside the parameters and statistics."""
    physics = problem.physics
    dimension = problem.mesh.dim()
    times = np.array([snapshot.time for snapshot in solution.snapshots])
    states = [snapshot.x for snapshot in solution.snapshots]
    interface = interface_of(problem.mesh)
    nodes, along, statistics = interface.nodes, interface.dimension_name, interface.statistics
    interface_coords = interface.coordinates()
    weighted, measure, current_units = interface.weighting, interface.measure_name, interface.current_units
    extent = interface.extent(problem.top_measure, problem.applied_current)
    fields = np.array([problem.split(x) for x in states]).reshape(len(times), 2, problem.nodes)
    c, phi = fields[:, 0, nodes], fields[:, 1, nodes]
    i_loc = np.array([problem.local_current(x, nodes) for x in states]).reshape(c.shape)
    profiles = {"c": c, "i_loc": i_loc}

    ds = xr.Dataset(
        coords={
            "time": ("time", times, cf_attrs("time since the current was switched on", "s")),
            "report_time": (
                "time",
                np.array([snapshot.scheduled for snapshot in solution.snapshots], dtype=np.int8),
                {
                    "long_name": "whether the time is one of the report times shared by all cases",
                    "flag_values": np.array([0, 1], dtype=np.int8),
                    "flag_meanings": "initial_final_or_event_state report_time",
                },
            ),
            **interface_coords,
        }
    )
    ds["c_interface"] = (("time", along), c, cf_attrs(FIELDS["c"][0], FIELDS["c"][1]))
    ds["i_loc"] = (("time", along), i_loc, cf_attrs(FIELDS["i_loc"][0], FIELDS["i_loc"][1]))
    ds["phi_interface"] = (
        ("time", along),
        phi,
        cf_attrs("electrolyte potential at the interface (electrode at 0 V)", "V"),
    )
    for field, (long_name, units) in FIELDS.items():
        table = [statistics(row) for row in profiles[field]]
        for statistic, description in STATISTICS.items():
            values = np.array([row[statistic] for row in table])
            dimensionless = statistic in ("cv", "within_10pct")
            description = description.format(weighted=weighted, measure=measure)
            ds[f"{field}_{statistic}"] = (
                "time",
                values,
                cf_attrs(f"{description} of the {long_name}", "1" if dimensionless else units),
            )
    ds["cell_overpotential"] = (
        "time",
        np.array([_top_mean(problem, potential) for potential in fields[:, 1]]),
        cf_attrs("mean electrolyte potential on the top boundary against the electrode (cell overpotential)", "V"),
    )
    ds["interface_current"] = (
        "time",
        np.array([problem.interface_current(x) for x in states]).reshape(times.shape),
        cf_attrs(
            "reaction current through the whole interface (into the electrode)"
            + f" {SHAPES[dimension].interface_noun}",
            current_units,
        ),
    )
    ds["c_min_domain"] = (
        "time",
        fields[:, 0].min(axis=1),
        cf_attrs("minimum salt concentration in the electrolyte", "mol m-3"),
    )
    cathode_attrs = {}
    if isinstance(problem, CathodeProblem) and times.size:
        cathode = cathode_variables(problem, states, times, interface)
        ds = ds.merge(cathode)
        cathode_attrs = {
            **cathode.attrs,
            **{f"cathode_{key}": value for key, value in problem.cathode.si_values().items()},
        }
    ds.attrs = {
        "title": "electrolyte3d: Li+ transport in a 3D-structured solid electrolyte, interface results",
        "Conventions": "CF-1.10",
        "status": solution.status,
        "status_message": solution.message or solution.status,
        **({f"{EVENT_TIMES[solution.status]}_s": solution.event_time} if solution.event_time is not None else {}),
        "depletion_threshold_mol_m3": settings.depletion_fraction * physics.c0,
        **{f"physics_{key}": value for key, value in physics.si_values().items()},
        "study": "cathode" if isinstance(problem, CathodeProblem) else "anode",
        **cathode_attrs,
        **{f"solver_{key}": value for key, value in _solver_attrs(settings).items()},
        "dimension": dimension,
        **extent,
        "nodes": problem.nodes,
        "unknowns": problem.unknowns,
        "time_steps": solution.steps,
        "rejected_steps": solution.rejected_steps,
        "newton_iterations": solution.newton_iterations,
        "factorisations": solution.factorisations,
        "current_fraction_reached": solution.current_fraction,
        "max_charge_imbalance": solution.max_charge_imbalance,
        "wall_time_s": solution.wall_time,
        "assembly_time_s": solution.assembly_time,
        "linear_solve_time_s": solution.linear_solve_time,
        **metadata,
    }
    if settings.mode == "stationary":
        return ds.isel(time=0, drop=True) if ds.sizes["time"] else ds
    if not times.size:
        return ds
    layer = np.sqrt(physics.D_ambipolar * times[-1])
    mesh = problem.mesh
    resting_height = first_layer_height if mesh.dim() == 3 else first_layer_thickness
    first_layer = resting_height(mesh.p.T, mesh.t.T, mesh.facets[:, mesh.boundaries[INTERFACE]].T)
    ds.attrs.update(
        diffusion_length_m=layer,
        interface_first_layer_m=first_layer,
        diffusion_length_over_first_layer=layer / first_layer,
    )
    resolved = np.sqrt(physics.D_ambipolar * times) >= UNRESOLVED * first_layer
    if isinstance(problem, CathodeProblem):
        solid, cathode_mesh = np.sqrt(problem.cathode.diffusivity * times[-1]), problem.cathode_mesh
        solid_first = first_layer_thickness(
            cathode_mesh.p.T, cathode_mesh.t.T, cathode_mesh.facets[:, cathode_mesh.boundaries[INTERFACE]].T
        )
        ds.attrs.update(
            cathode_diffusion_length_m=solid,
            cathode_interface_first_layer_m=solid_first,
            cathode_diffusion_length_over_first_layer=solid / solid_first,
        )
        resolved &= np.sqrt(problem.cathode.diffusivity * times) >= UNRESOLVED * solid_first
    ds["resolved"] = (
        "time",
        resolved.astype(np.int8),
        {
            "long_name": "the mesh resolves the depletion layer (and a cathode's lithiated layer): "
            f"sqrt(D t) >= {UNRESOLVED:g} first-layer heights",
            "flag_values": np.array([0, 1], dtype=np.int8),
            "flag_meanings": "unresolved resolved",
        },
    )
    return ds


def cathode_variables(problem: CathodeProblem, states: list[np.ndarray], times: np.ndarray, path) -> xr.Dataset:
    """The cathode's state over time: mean, coefficient of variation and lithiated fraction of
    c_s over the cathode area (exact for the P1 field), the depth profile of c_s averaged along
    the length, the lithiation along the interface, and the Li gained against the charge passed."""
    cathode, mesh = problem.cathode, problem.cathode_mesh
    solid = np.array([problem.solid(x) for x in states]).reshape(len(times), problem.solid_nodes)
    area = problem.solid_lumped_mass.sum()
    mean = solid @ problem.solid_lumped_mass / area
    mean_square = np.einsum("ti,ti->t", solid, (problem.solid_mass @ solid.T).T) / area
    thickness = -mesh.p[1].min()
    depths = DEPTH_NORM * thickness
    average_at_depth = depth_average_operator(mesh, depths)
    delivered = problem.applied_current * times / FARADAY
    gained = np.array([problem.lithium_gained(x) for x in states]).reshape(times.shape)
    lithiation_name = f"cathode lithiation c_s / c_s_max (c_s_max = {cathode.max_concentration:.6g} mol m-3)"
    ds = xr.Dataset(
        coords={"depth": ("depth", depths, cf_attrs("depth below the substrate underside (top of the cathode)", "m"))},
        data_vars={
            "c_s_mean": (
                "time",
                mean,
                cf_attrs("area mean of the intercalated Li concentration in the cathode", "mol m-3"),
            ),
            "lithiation_mean": (
                "time",
                mean / cathode.max_concentration,
                cf_attrs(f"area mean {lithiation_name}", "1"),
            ),
            "lithiation_cv": (
                "time",
                np.sqrt(np.maximum(mean_square - mean**2, 0.0)) / mean,
                cf_attrs("coefficient of variation of c_s over the cathode area (std / mean)", "1"),
            ),
            "lithiated_fraction": (
                "time",
                np.array(
                    [
                        area_fraction_above(mesh, row / cathode.max_concentration, cathode.lithiated_threshold)
                        for row in solid
                    ]
                ),
                cf_attrs(f"fraction of the cathode area lithiated above {cathode.lithiated_threshold:g}", "1"),
            ),
            "c_s_depth": (
                ("time", "depth"),
                (average_at_depth @ solid.T).T,
                cf_attrs(
                    "intercalated Li concentration averaged along the length of the cathode at each depth", "mol m-3"
                ),
            ),
            "lithiation_interface": (
                ("time", "s"),
                solid[:, problem.to_solid[path.nodes]] / cathode.max_concentration,
                cf_attrs(f"{lithiation_name} at the interface", "1"),
            ),
            "lithium_gained": (
                "time",
                gained,
                cf_attrs("Li taken up by the cathode since t = 0, per unit depth", "mol m-1"),
            ),
        },
    )
    ds.attrs["lithium_balance_error"] = float(
        np.max(np.abs(gained - delivered)) / max(np.max(delivered), np.finfo(float).tiny)
    )
    return ds


UNRESOLVED = 3.0
"""A diffusion length sqrt(D_amb t) shorter than this many first-layer heights at the interface
means the mesh does not resolve the depletion layer."""


def resolution_warning(ds: xr.Dataset) -> str | None:
    """A plain-words warning when the mesh does not resolve the depletion layer (or a cathode's
    lithiated layer) at the last time (when the depletion time is decided), else None."""
    warnings = []
    setting = SHAPES[ds.attrs.get("dimension", 2)].resolution_key
    for prefix, what, layer in (
        ("", "sqrt(D_amb t)", "depletion layer"),
        ("cathode_", "sqrt(D_cathode t) in the cathode", "cathode's lithiated layer"),
    ):
        ratio = ds.attrs.get(f"{prefix}diffusion_length_over_first_layer")
        if ratio is None or ratio >= UNRESOLVED:
            continue
        warnings.append(
            f"the diffusion length {what} = {ds.attrs[f'{prefix}diffusion_length_m'] * 1e6:.3g} um at the last "
            "time is only "
            f"{ratio:.2g} times the height of the interface's first element layer "
            f"({ds.attrs[f'{prefix}interface_first_layer_m'] * 1e6:.3g} um): "
            f"the {layer} is not resolved, so the results that depend on it are mesh-limited; "
            f"refine the interface mesh ({setting})"
        )
    return "; ".join(warnings) or None


def _solver_attrs(settings: SolverSettings) -> dict:
    seconds = ("end_time", "initial_step", "min_step")
    return {f"{key}_s" if key in seconds else key: value for key, value in settings.as_params().items()}


def _top_mean(problem: Problem, phi: np.ndarray) -> float:
    return (
        asm(forms.boundary_integral, problem.top, rate=np.asarray(problem.top.interpolate(phi))) / problem.top_measure
    )


def write_netcdf(ds: xr.Dataset, path: str) -> None:
    encoding = {name: {"zlib": True, "complevel": 4} for name in ds.data_vars}
    with io.atomic_path(path) as partial:
        ds.to_netcdf(partial, format="NETCDF4", engine="netcdf4", encoding=encoding)


def solve_table(datasets: list[xr.Dataset], benchmarks: list[pd.DataFrame]) -> pd.DataFrame:
    """One row per solve: status, time to depletion, interface CV of c at the latest report
    time that every solve with report times reached (``common_time_s``), and solver cost
    (Newton iterations and wall time per step, the shares of PARDISO and of assembly, peak
    memory from the benchmark). Empty cells mean "does not apply": no depletion, no shared
    report time, or a case that stopped before it (its status says why)."""
    reported = [set(ds.time.values[ds.report_time.values == 1]) for ds in datasets if "report_time" in ds.coords]
    reported = [times for times in reported if times]
    common = set.intersection(*reported) if reported else set()
    common_time = max(common) if common else None
    rows = []
    for ds, benchmark in zip(datasets, benchmarks):
        attrs = ds.attrs
        if "time" not in ds.dims:
            reached = ds
        else:
            reached = ds.sel(time=common_time) if common_time in ds.time.values else None
        steps = max(attrs["time_steps"], 1)
        rows.append(
            {
                "case": attrs["case"],
                "level": attrs["mesh_level"],
                "dimension": attrs.get("dimension", 2),
                "elements": element_count(attrs),
                "status": attrs["status"],
                "depletion_time_s": attrs.get("depletion_time_s", np.nan),
                "saturation_time_s": attrs.get("saturation_time_s", np.nan),
                "lithium_balance_error": attrs.get("lithium_balance_error", np.nan),
                "common_time_s": common_time if "time" in ds.dims and common_time is not None else np.nan,
                "c_cv_at_common_time": float(reached.c_cv) if reached is not None else np.nan,
                "time_steps": attrs["time_steps"],
                "newton_per_step": attrs["newton_iterations"] / steps,
                "factorisations": attrs.get("factorisations", np.nan),
                "integrator": attrs.get("solver_integrator", ""),
                "wall_s_per_step": attrs["wall_time_s"] / steps,
                "solve_wall_s": attrs["wall_time_s"],
                "pardiso_share": attrs["linear_solve_time_s"] / attrs["wall_time_s"],
                "assembly_share": attrs["assembly_time_s"] / attrs["wall_time_s"],
                "max_charge_imbalance": attrs["max_charge_imbalance"],
                "diffusion_length_over_first_layer": attrs.get("diffusion_length_over_first_layer", np.nan),
                "peak_rss_mb": benchmark["max_rss"].iloc[0],
            }
        )
    return pd.DataFrame(rows).sort_values(["case", "level"])
