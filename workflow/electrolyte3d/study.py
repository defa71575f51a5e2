"""The study dataset: every case at its production mesh level side by side along a ``case``
dimension whose coordinates are the design parameters (its tables are in :mod:`electrolyte3d.summary`)."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import xarray as xr

from electrolyte3d import io
from electrolyte3d.convergence import (
    EVENT_TIMES,
    TIME_QUANTITIES,
    GridConvergenceIndex,
    find_quantity,
    quantity_columns,
    time_key,
)
from electrolyte3d.shapes import element_count

PROFILE_POINTS = 401
"""Points of the common normalised arc length onto which interface profiles are interpolated."""

GEOMETRY_COORDINATES = {
    "dimension": (
        "2: cross-section (pillars are ridges of infinite length); 3: unit cell of an array of cylindrical pillars",
        "1",
    ),
    "pillar_width": ("pillar width (0 for a planar film; NaN: 3D case)", "m"),
    "pillar_diameter": ("diameter of the cylindrical pillars (NaN: 2D case)", "m"),
    "pillar_pitch": ("centre-to-centre pillar spacing (NaN: fewer than two pillars or uneven spacing)", "m"),
    "pillar_height": ("pillar height, protrusion into the electrode (0 for a planar film)", "m"),
    "pillar_count": ("number of pillars (NaN: 3D unit cell of an infinite array)", "1"),
    "substrate_thickness": ("electrolyte film (substrate) thickness", "m"),
    "electrode_length": ("electrode (and film) length (NaN: 3D unit cell)", "m"),
    "electrode_thickness": ("electrode thickness", "m"),
}
PHYSICS_COORDINATES = {
    "D_plus": ("physics_D_plus_m2_s", "Li+ diffusivity", "m2 s-1"),
    "D_ambipolar": ("physics_D_ambipolar_m2_s", "salt (ambipolar) diffusivity", "m2 s-1"),
    "t_plus": ("physics_t_plus", "Li+ transference number", "1"),
    "exchange_current_density": ("physics_exchange_current_density_A_m2", "exchange current density at c0", "A m-2"),
    "current_density": ("physics_current_density_A_m2", "applied current density at the top", "A m-2"),
    "c0": ("physics_c0_mol_m3", "initial and top salt concentration", "mol m-3"),
    "temperature": ("physics_temperature_K", "temperature", "K"),
}
SERIES = (
    "c_mean",
    "c_min",
    "c_max",
    "c_std",
    "c_cv",
    "c_within_10pct",
    "i_loc_mean",
    "i_loc_min",
    "i_loc_max",
    "i_loc_std",
    "i_loc_cv",
    "i_loc_within_10pct",
    "cell_overpotential",
    "interface_current",
    "c_min_domain",
)
PROFILES = ("c_interface", "i_loc")
CATHODE_SERIES = ("c_s_mean", "lithiation_mean", "lithiation_cv", "lithiated_fraction", "lithium_gained", "uptake_cv")
CATHODE_PROFILES = ("lithiation_interface",)
"""Cathode cases' series over time and profiles along the interface (NaN for anode cases)."""


class StaleResultError(RuntimeError):
    """A result file made with other parameters than the current configuration's."""


def check_current(result: xr.Dataset, expected_sha256: str, path: str) -> None:
    """Refuse a result whose recorded ``config_sha256`` is not the one the current configuration
    gives (a file from an older config, copied in, or touched instead of rerun)."""
    recorded = result.attrs.get("config_sha256")
    if recorded != expected_sha256:
        raise StaleResultError(
            f"{path} was made with other parameters than the current config (config_sha256 "
            f"{recorded or 'missing'}, expected {expected_sha256}); rerun it, e.g. "
            f"snakemake --forcerun {path}"
        )


RIDGE_CELL_KEYS = (
    "dimension",
    "pillar_width",
    "pillar_diameter",
    "pillar_pitch",
    "pillar_height",
    "substrate_thickness",
)
"""What decides whether a 2D ridge and a 3D cell are the same pillars (see :func:`ridge_cell_groups`)."""


def ridge_cell_groups(cases: Mapping[str, Mapping]) -> dict[str, list[str]]:
    """Cases with the same pillars as 2D ridges and as 3D cylinders: a ridge's width read as a
    cylinder's diameter, the same pitch, height and substrate. ``cases``: case -> values of
    :data:`RIDGE_CELL_KEYS` (SI). Only groups holding a ridge and a cell are kept, by label
    "size / pitch / height um"."""
    groups: dict[tuple, list[str]] = {}
    for name, case in cases.items():
        size = case["pillar_diameter"] if case["dimension"] == 3 else case["pillar_width"]
        if not case["pillar_height"] > 0 or not math.isfinite(case["pillar_pitch"]):
            continue
        key = tuple(
            round(value / 1e-9)
            for value in (size, case["pillar_pitch"], case["pillar_height"], case["substrate_thickness"])
        )
        groups.setdefault(key, []).append(name)
    return {
        f"{key[0] / 1e3:g} / {key[1] / 1e3:g} / {key[2] / 1e3:g} um": names
        for key, names in groups.items()
        if {cases[name]["dimension"] for name in names} == {2, 3}
    }


def build(
    cases: Mapping[str, dict], convergences: Mapping[str, xr.Dataset], results: Mapping[str, xr.Dataset], attrs: dict
) -> xr.Dataset:
    """One dataset of all ``cases`` (name -> :meth:`Case.descriptors`), each from its production-level
    result in ``results`` as chosen by its grid convergence dataset in ``convergences``."""
    names = list(cases)
    transient = "time" in results[names[0]].dims
    times = _report_times(results.values()) if transient else None
    s_norm = np.linspace(0.0, 1.0, PROFILE_POINTS)
    with_cathode = any(cases[name]["study"] == "cathode" for name in names)
    on_common_axes = [_on_common_axes(results[name], times, s_norm, with_cathode) for name in names]
    ds = xr.concat(on_common_axes, dim="case", combine_attrs="override", coords="minimal", compat="override")
    ds = ds.assign_coords(case=np.array(names, dtype=str))
    ds["s_norm"].attrs = {"long_name": "arc length along the interface divided by the interface length", "units": "1"}
    if with_cathode:
        ds["depth_norm"].attrs = {
            "long_name": "depth below the top of the cathode divided by the cathode thickness",
            "units": "1",
        }
        first_cathode = next(name for name in names if cases[name]["study"] == "cathode")
        for name in (*CATHODE_SERIES, *CATHODE_PROFILES, "c_s_depth"):
            ds[name].attrs = {
                **on_common_axes[names.index(first_cathode)][name].attrs,
                "comment": "NaN for anode cases",
            }

    ds = ds.assign_coords(
        {
            name: ("case", [cases[case][name] for case in names], {"long_name": long_name, "units": units})
            for name, (long_name, units) in GEOMETRY_COORDINATES.items()
        }
    )
    ds = ds.assign_coords(
        {
            name: ("case", [results[case].attrs[key] for case in names], {"long_name": long_name, "units": units})
            for name, (key, long_name, units) in PHYSICS_COORDINATES.items()
        }
    )
    ds = ds.assign_coords(
        design=(
            "case",
            [cases[case]["design"] for case in names],
            {"long_name": "design or sweep the case belongs to"},
        ),
        study=("case", [cases[case]["study"] for case in names], {"long_name": "study type"}),
        base=(
            "case",
            [cases[case]["base"] for case in names],
            {
                "long_name": "design whose own case is a point of this case's sweep "
                "(empty for designs, regular arrays, and sweeps that change other values too)"
            },
        ),
        geometry=(
            "case",
            [cases[case]["geometry"] for case in names],
            {"long_name": "geometry key: directory results/geometries/<key> of its geometry and meshes"},
        ),
        lattice=(
            "case",
            [cases[case]["lattice"] for case in names],
            {"long_name": "lattice of the pillars of a 3D case: square, hexagonal or ridge (empty: 2D case)"},
        ),
        resolution=(
            "case",
            [cases[case]["resolution"] for case in names],
            {"long_name": "how the case is resolved: ladder (own grid study), level N, or from <reference case>"},
        ),
    )
    ds["case"].attrs = {"long_name": "case name (the Snakemake wildcard)"}
    if with_cathode:
        ds = ds.assign_coords(
            D_cathode=(
                "case",
                [results[case].attrs.get("cathode_D_m2_s", math.nan) for case in names],
                {"long_name": "diffusivity of Li in the cathode (NaN: anode case)", "units": "m2 s-1"},
            ),
            c_s0=(
                "case",
                [
                    results[case].attrs.get("cathode_initial_lithiation", math.nan)
                    * results[case].attrs.get("cathode_max_concentration_mol_m3", math.nan)
                    for case in names
                ],
                {"long_name": "initial Li concentration in the cathode (NaN: anode case)", "units": "mol m-3"},
            ),
        )

    attrs_of = {case: results[case].attrs for case in names}
    depletion_gci = {case: _gci(convergences[case], "depletion_time") for case in names}
    per_case = {
        "status": (
            [attrs_of[c]["status"] for c in names],
            "solve status: completed, depleted, saturated, diverged, no_steady_state",
            None,
        ),
        "status_message": ([attrs_of[c]["status_message"] for c in names], "solve status in words", None),
        "grid_status": (
            [convergences[c].attrs["grid_status"] for c in names],
            "grid independence: converged, or not_converged (the finest level stands in)",
            None,
        ),
        "grid_status_message": (
            [convergences[c].attrs["grid_status_message"] for c in names],
            "grid independence verdict in words",
            None,
        ),
        "production_level": (
            [convergences[c].attrs["production_level"] for c in names],
            "mesh level the case's results come from",
            "1",
        ),
        "error_source": (
            [convergences[c].attrs.get("error_source", "own") for c in names],
            "where the error bars come from: own (its grid study), borrowed (from error_reference), none",
            None,
        ),
        "error_reference": (
            [convergences[c].attrs.get("error_reference", "") for c in names],
            "the case whose grid study and time error a borrowed error bar comes from (empty: own or none)",
            None,
        ),
        "coarser_check": (
            [convergences[c].attrs.get("coarser_check", "") for c in names],
            "a one-level case's check one level coarser: within or exceeds the borrowed grid error, checked "
            "(no reference), not_checked, not_available (empty: own grid study)",
            None,
        ),
        "coarser_change": (
            [convergences[c].attrs.get("coarser_change", math.nan) for c in names],
            "largest relative change of the criterion quantity from one level coarser (NaN: not checked)",
            "1",
        ),
        "elements": (
            [element_count(attrs_of[c]) for c in names],
            "electrolyte elements of the production level (triangles in 2D, tetrahedra in 3D)",
            "1",
        ),
        "interface_length": (
            [attrs_of[c].get("interface_length_m", math.nan) for c in names],
            "electrolyte/electrode interface length (NaN: 3D case)",
            "m",
        ),
        "interface_area": (
            [attrs_of[c].get("interface_area_m2", math.nan) for c in names],
            "electrolyte/electrode interface area of the unit cell (NaN: 2D case)",
            "m2",
        ),
        "depletion_time": (
            [attrs_of[c].get("depletion_time_s", math.nan) for c in names],
            "time to depletion at the production level (NaN: did not deplete)",
            "s",
        ),
        "depletion_time_gci": (
            [depletion_gci[c].gci_fine for c in names],
            "grid convergence index of the depletion time on the finest level (NaN: not available)",
            "1",
        ),
        "depletion_time_gci_kind": (
            [depletion_gci[c].kind for c in names],
            "convergence of the depletion time on the three finest levels (monotonic, oscillatory, divergent, ...)",
            None,
        ),
        "saturation_time": (
            [attrs_of[c].get("saturation_time_s", math.nan) for c in names],
            "time at which the cathode interface reached its saturation lithiation (NaN: anode case, or did not)",
            "s",
        ),
        "lithium_balance_error": (
            [attrs_of[c].get("lithium_balance_error", math.nan) for c in names],
            "largest |Li gained by the cathode - charge passed / F| over the charge passed / F (NaN: anode case)",
            "1",
        ),
        "depletion_time_extrapolated": (
            [depletion_gci[c].extrapolated for c in names],
            "Richardson-extrapolated depletion time (NaN: not available)",
            "s",
        ),
    }
    for name, (column, long_name, units) in per_case.items():
        ds[name] = ("case", np.array(column), {"long_name": long_name, **({"units": units} if units else {})})
    if transient:
        ds["end_time"] = (
            "case",
            np.array([float(results[case].time[-1]) for case in names]),
            {"long_name": "last solved time of the case; series are NaN after it", "units": "s"},
        )
    anode = ds.study == "anode"
    compared_at = (common_time(ds.sel(case=anode)) if bool(anode.any()) else common_time(ds)) if transient else None
    cathode_compared_at = common_time(ds.sel(case=ds.study == "cathode")) if transient and with_cathode else None
    for name, description in (("c_mean", "mean"), ("c_cv", "coefficient of variation")):
        ds[f"{name}_gci"] = (
            "case",
            np.array([_gci(convergences[case], name, compared_at).gci_fine for case in names]),
            {
                "long_name": f"grid convergence index of the {description} of interface c at the common time "
                "(finest level; NaN: not available or divergent)",
                "units": "1",
            },
        )
    if cathode_compared_at is not None:
        cathode_gci = {
            "lithiation_cv": (
                cathode_compared_at,
                "of the coefficient of variation of c_s over the cathode at the cathode common time",
            ),
            "saturation_time": (None, "of the time to saturation"),
        }
        for name, (time, description) in cathode_gci.items():
            ds[f"{name}_gci"] = (
                "case",
                np.array([_gci(convergences[case], name, time).gci_fine for case in names]),
                {
                    "long_name": f"grid convergence index {description} "
                    "(finest level; NaN: anode case, not available or divergent)",
                    "units": "1",
                },
            )
    ds = ds.assign(_error_bars(convergences, names, times, list(ds.data_vars)))
    if transient:
        ds["resolved"] = (
            ("case", "time"),
            np.array([_resolved_at(results[case], times) for case in names]),
            {
                "long_name": "the production mesh resolves the depletion layer at the report time (1), "
                "or not (0: mesh-limited, left out of the verdict); NaN after the case stopped",
                "units": "1",
            },
        )
    ds.attrs = {
        "title": "electrolyte3d study: interface uniformity of every case at its production mesh level",
        "Conventions": "CF-1.10",
        **({"common_time_s": compared_at} if transient else {}),
        **({"cathode_common_time_s": cathode_compared_at} if cathode_compared_at is not None else {}),
        **attrs,
    }
    return ds


ERROR_PARTS = {
    "grid": "estimated grid error",
    "time": "estimated time-stepping error",
    "total": "numerical error bar (grid + time)",
}


def _error_bars(
    convergences: Mapping[str, xr.Dataset], names: list[str], times: np.ndarray | None, present: list[str]
) -> dict:
    """The relative grid, time and total error of every compared quantity of every case at its
    production level (convergence.nc), on the study's axes: per report time for a series (NaN
    where the levels did not all reach it), per case for an event time or a stationary value."""
    columns = {case: quantity_columns(convergences[case]) for case in names}
    bars = {}
    series = [name for name in TIME_QUANTITIES if name in present]
    for name in (*series, *EVENT_TIMES):
        keys = [(name, time_key(t)) for t in times] if times is not None and name in TIME_QUANTITIES else [(name, None)]
        for part, description in ERROR_PARTS.items():
            values = np.array(
                [
                    [_value(convergences[case][f"{part}_error"].values, columns[case].get(key)) for key in keys]
                    for case in names
                ]
            )
            if np.isnan(values).all() and name in EVENT_TIMES:
                continue
            timed = len(keys) > 1 or keys[0][1] is not None
            bars[f"{name}_{part}_error"] = (
                ("case", "time") if timed else "case",
                values if timed else values[:, 0],
                {
                    "long_name": f"{description} of {name} at the production level, relative (NaN: not available)",
                    "units": "1",
                },
            )
    return bars


def _value(values: np.ndarray, column: int | None) -> float:
    return math.nan if column is None else float(values[column])


def _resolved_at(result: xr.Dataset, times: np.ndarray) -> np.ndarray:
    if "resolved" not in result:
        return np.full(times.size, np.nan)
    reported = result.resolved.isel(time=result.report_time.values == 1)
    return reported.astype(float).reindex(time=times).values


def _gci(convergence: xr.Dataset, name: str, time: float | None = None) -> GridConvergenceIndex:
    """The GCI of quantity ``name`` (at report ``time`` for a time series) of one case."""
    quantity = find_quantity(convergence, name, time)
    if quantity is None:
        return GridConvergenceIndex("not_available", *[math.nan] * 5)
    row = convergence.sel(quantity=quantity)
    return GridConvergenceIndex(
        str(row.gci_kind.values),
        float(row.observed_order),
        float(row.extrapolated_value),
        float(row.approximate_relative_error),
        float(row.extrapolated_relative_error),
        float(row.gci_fine),
        str(row.gci_rule.values),
    )


def _report_times(results) -> np.ndarray:
    return np.array(sorted(set().union(*(ds.time.values[ds.report_time.values == 1] for ds in results))))


DEPTH_POINTS = 200
DEPTH_NORM = (np.arange(DEPTH_POINTS) + 0.5) / DEPTH_POINTS
"""Depths of every cathode's depth profile of c_s (evenly spaced cell centres) divided by the
cathode thickness. Cell centres of an even count miss the round fractions (1/2, 3/4, ...) where
pillar tips sit: a line along an interface would average the surface values alone."""


def _with_cathode_variables(result: xr.Dataset) -> xr.Dataset:
    """A result with the cathode variables: a cathode case's own, with its depth profile on the
    normalised depth; NaN for an anode case."""
    if "c_s_depth" in result:
        # metrics imports gmsh (through geometry); the rules import this module at DAG time
        from electrolyte3d.metrics import along_path

        profile = result.c_s_depth.rename(depth="depth_norm").assign_coords(depth_norm=DEPTH_NORM)
        gained = result.lithiation_interface.values - result.attrs["cathode_initial_lithiation"]
        uptake = xr.DataArray(
            [along_path(row, result.s.values)["cv"] if row.any() else np.nan for row in gained],
            dims="time",
            attrs={
                "long_name": "coefficient of variation along the interface of the lithiation gained at the surface "
                "(x - x0): how evenly the interface takes up Li (NaN at t = 0)",
                "units": "1",
            },
        )
        return result.drop_vars(["c_s_depth", "depth"]).assign(c_s_depth=profile, uptake_cv=uptake)
    template = xr.full_like(result.c_mean, np.nan).assign_attrs({})
    missing = {name: template.copy() for name in CATHODE_SERIES}
    missing.update({name: xr.full_like(result.c_interface, np.nan).assign_attrs({}) for name in CATHODE_PROFILES})
    missing["c_s_depth"] = template.expand_dims(depth_norm=DEPTH_NORM, axis=-1).copy()
    return result.assign(missing)


def _on_common_axes(result: xr.Dataset, times: np.ndarray | None, s_norm: np.ndarray, with_cathode: bool) -> xr.Dataset:
    """The series at the common report times (NaN where the case had stopped) and the profiles
    on the normalised arc length (with the cathode variables, NaN for an anode case, when
    ``with_cathode``)."""
    profiles_of = PROFILES
    if with_cathode:
        result = _with_cathode_variables(result)
        profiles_of = (*PROFILES, *CATHODE_PROFILES)
    selected = result[[*SERIES, *profiles_of, *((*CATHODE_SERIES, "c_s_depth") if with_cathode else ())]]
    if times is not None:
        selected = selected.isel(time=result.report_time.values == 1).drop_vars("report_time")
        selected = selected.reindex(time=times)
    if "s" not in result.dims:
        # a 3D interface is a surface: its values stay in the case's own result (per interface node)
        along = ("time", "s_norm") if times is not None else ("s_norm",)
        shape = (*((selected.sizes["time"],) if times is not None else ()), s_norm.size)
        blank = {
            name: (along, np.full(shape, np.nan), {**selected[name].attrs, "comment": "NaN for 3D cases"})
            for name in profiles_of
        }
        outline = {
            f"{axis}_interface": ("s_norm", np.full(s_norm.size, np.nan), {**result[axis].attrs}) for axis in ("x", "y")
        }
        interface = [
            name for name in ("interface_node", "x", "y", "z", "interface_node_area") if name in selected.coords
        ]
        return selected.drop_vars([*profiles_of, *interface]).assign(blank).assign(outline).assign_coords(s_norm=s_norm)
    fraction = result.s.values / result.attrs["interface_length_m"]
    profiles = {
        name: xr.apply_ufunc(
            lambda row: np.interp(s_norm, fraction, row),
            selected[name],
            input_core_dims=[["s"]],
            output_core_dims=[["s_norm"]],
            vectorize=True,
            keep_attrs=True,
        )
        for name in profiles_of
    }
    outline = {
        f"{axis}_interface": ("s_norm", np.interp(s_norm, fraction, result[axis].values), {**result[axis].attrs})
        for axis in ("x", "y")
    }
    return (
        selected.drop_vars([*profiles_of, "s", "x", "y"]).assign(profiles).assign(outline).assign_coords(s_norm=s_norm)
    )


def plot_time(ds: xr.Dataset, requested: float | None) -> float | None:
    """The report time nearest ``requested``, or the common time; None for a stationary study."""
    if "time" not in ds.dims:
        return None
    if requested is None:
        return ds.attrs["common_time_s"]
    return float(ds.time.sel(time=requested, method="nearest"))


UNUSABLE = ("diverged", "no_steady_state")
"""Solve statuses whose results are kept in the dataset but not compared or plotted."""


def common_time(ds: xr.Dataset) -> float:
    """The latest report time every case with a usable result reached (the time at which
    designs are compared); the earliest report time if none did."""
    reached = ds.c_mean.sel(case=~ds.status.isin(UNUSABLE)).notnull().all("case")
    return float(ds.time[reached].max()) if reached.any() else float(ds.time[0])


def write(ds: xr.Dataset, path: str) -> None:
    """netCDF4 with compression; strings as variable-length text."""
    encoding = {
        name: {"zlib": True, "complevel": 4} for name, variable in ds.data_vars.items() if variable.dtype.kind == "f"
    }
    with io.atomic_path(path) as partial:
        ds.to_netcdf(partial, format="NETCDF4", engine="netcdf4", encoding=encoding)
