"""The study's tables: one row per case with its design parameters (results/cases.csv), one
row per case with its results at the common time and their error bars (results/summary.csv),
and one row per 3D cell against the 2D ridge of the same pillars (results/ridge_vs_cell.csv)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from electrolyte3d.cases import InvalidCase
from electrolyte3d.shapes import Case
from electrolyte3d.study import (
    ERROR_PARTS,
    GEOMETRY_COORDINATES,
    PHYSICS_COORDINATES,
    RIDGE_CELL_KEYS,
    UNUSABLE,
    ridge_cell_groups,
)


def case_row(case: Case) -> dict:
    """One row of results/cases.csv: what a case will run with, SI, units in the column names."""
    row = {"case": case.name, **case.descriptors()}
    return {
        **{_si_column(name): value for name, value in row.items()},
        **case.physics.si_values(),
        **({f"cathode_{name}": value for name, value in case.cathode.si_values().items()} if case.cathode else {}),
        "status": "planned",
        "reason": "",
    }


def invalid_case_row(case: InvalidCase) -> dict:
    """A skipped sweep point's row of results/cases.csv (its geometry values and the reason)."""
    return {
        "case": case.name,
        "design": case.design,
        **{
            _si_column(name): getattr(case, name)
            for name in ("pillar_width", "pillar_diameter", "pillar_pitch", "pillar_height", "pillar_count")
        },
        "status": "invalid_geometry",
        "reason": case.reason,
    }


def case_table(rows: list[dict]) -> pd.DataFrame:
    """results/cases.csv: planned cases, then skipped sweep points, with one set of columns."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    return pd.DataFrame(rows, columns=columns)


def _si_column(name: str) -> str:
    units = GEOMETRY_COORDINATES.get(name, (None, "1"))[1]
    return name if units == "1" else f"{name}_{units}"


def summary(ds: xr.Dataset, invalid: list[dict] = ()) -> pd.DataFrame:
    """One row per case: parameters, statuses, production level, depletion time with its GCI,
    and the uniformity metrics at the common time (or of the steady state); then one row per
    skipped sweep point (``invalid``: :class:`~electrolyte3d.config.InvalidCase` as dicts) with
    status invalid_geometry, its reason and only its geometry filled in."""
    at = ds.sel(time=ds.attrs["common_time_s"]) if "time" in ds.dims else ds
    columns = {
        **{_column(name, ds[name]): ds[name].values for name in (*GEOMETRY_COORDINATES, *PHYSICS_COORDINATES)},
        "status": ds.status.values,
        "status_message": ds.status_message.values,
        "grid_status": ds.grid_status.values,
        "production_level": ds.production_level.values,
        "resolution": ds.resolution.values,
        "error_source": ds.error_source.values,
        "error_reference": ds.error_reference.values,
        "coarser_check": ds.coarser_check.values,
        "coarser_change": ds.coarser_change.values,
        "elements": ds.elements.values,
        "depletion_time_s": ds.depletion_time.values,
        "depletion_time_gci": ds.depletion_time_gci.values,
        "depletion_time_gci_kind": ds.depletion_time_gci_kind.values,
        **{
            f"depletion_time_{part}_error": ds[f"depletion_time_{part}_error"].values
            for part in ERROR_PARTS
            if f"depletion_time_{part}_error" in ds
        },
        "c_mean_gci": ds.c_mean_gci.values,
        "c_cv_gci": ds.c_cv_gci.values,
        **{
            f"{name}_{part}_error": at[f"{name}_{part}_error"].values
            for name in ("c_mean", "c_cv")
            for part in ERROR_PARTS
        },
        **({"common_time_s": np.full(ds.sizes["case"], ds.attrs["common_time_s"])} if "time" in ds.dims else {}),
        **({"resolved_at_common_time": at.resolved.values} if "resolved" in at else {}),
        **{
            _column(name, at[name]): at[name].values
            for name in ("c_mean", "c_min", "c_cv", "c_within_10pct", "i_loc_cv", "cell_overpotential")
        },
        "c_min_over_mean": (at.c_min / at.c_mean).values,
    }
    if "cathode_common_time_s" in ds.attrs:
        cathode_at = ds.sel(time=ds.attrs["cathode_common_time_s"])
        columns.update(
            {
                "saturation_time_s": ds.saturation_time.values,
                "lithium_balance_error": ds.lithium_balance_error.values,
                "cathode_common_time_s": np.where(ds.study == "cathode", ds.attrs["cathode_common_time_s"], np.nan),
                **{
                    name: cathode_at[name].values
                    for name in ("lithiation_mean", "lithiation_cv", "lithiated_fraction", "uptake_cv")
                },
                "lithiation_cv_gci": ds.lithiation_cv_gci.values,
                "saturation_time_gci": ds.saturation_time_gci.values,
                **{
                    f"lithiation_cv_{part}_error": cathode_at[f"lithiation_cv_{part}_error"].values
                    for part in ERROR_PARTS
                },
                **{
                    f"saturation_time_{part}_error": ds[f"saturation_time_{part}_error"].values
                    for part in ERROR_PARTS
                    if f"saturation_time_{part}_error" in ds
                },
            }
        )
    table = pd.DataFrame({"case": ds.case.values, "design": ds.design.values, "lattice": ds.lattice.values, **columns})
    skipped = pd.DataFrame(
        [
            {
                "case": case["name"],
                "design": case["design"],
                **{
                    _column(name, ds[name]): case[name]
                    for name in ("pillar_width", "pillar_diameter", "pillar_pitch", "pillar_height", "pillar_count")
                },
                "status": "invalid_geometry",
                "status_message": case["reason"],
            }
            for case in invalid
        ],
        columns=table.columns,
    )
    return pd.concat([table, skipped], ignore_index=True) if invalid else table


def _column(name: str, variable: xr.DataArray) -> str:
    """``name`` with its units as a suffix ("D_plus_m2_s"); dimensionless names stay bare."""
    units = variable.attrs.get("units", "1")
    return name if units == "1" else f"{name}_{units.replace('-1', '').replace('-', '').replace(' ', '_')}"


RIDGE_CELL_QUANTITIES = {"depletion_time": "depletion_time_s", "c_cv": "c_cv"}
"""What results/ridge_vs_cell.csv compares, with the column stem that carries its units."""


def ridge_cell_table(ds: xr.Dataset, time: float | None) -> pd.DataFrame:
    """One row per 3D cell and 2D ridge of the same pillars (:func:`study.ridge_cell_groups`): the
    time to depletion and the interface CV of c at ``time`` (None: of the steady state) of each,
    and the cell minus the ridge, absolute and relative to the ridge, each beside its total (grid +
    time) error bar. The difference's bar is the sum of the two bars, since both cases may err the
    same way; NaN where a case did not deplete or has no bar. Unusable cases are left out."""
    shown = ds.sel(case=~ds.status.isin(UNUSABLE))
    at = shown.sel(time=time) if time is not None else shown
    groups = ridge_cell_groups(
        {case: {key: shown[key].sel(case=case).item() for key in RIDGE_CELL_KEYS} for case in shown.case.values}
    )

    def value_and_bar(case: str, name: str) -> tuple[float, float]:
        if name not in at:
            return np.nan, np.nan
        value, relative = float(at[name].sel(case=case)), at.get(f"{name}_total_error")
        return value, abs(value) * float(relative.sel(case=case)) if relative is not None else np.nan

    rows = []
    for pillars, cases in groups.items():
        ridges = [case for case in cases if shown.dimension.sel(case=case).item() == 2]
        cells = [case for case in cases if shown.dimension.sel(case=case).item() == 3]
        for ridge in ridges:
            for cell in cells:
                row = {
                    "pillars_um": pillars.removesuffix(" um"),
                    "cell": cell,
                    "lattice": shown.lattice.sel(case=cell).item(),
                    "ridge": ridge,
                    "cell_grid_status": shown.grid_status.sel(case=cell).item(),
                    "ridge_grid_status": shown.grid_status.sel(case=ridge).item(),
                    "cv_time_s": time if time is not None else np.nan,
                }
                for name, stem in RIDGE_CELL_QUANTITIES.items():
                    (cell_value, cell_bar), (ridge_value, ridge_bar) = (
                        value_and_bar(cell, name),
                        value_and_bar(ridge, name),
                    )
                    unit = stem.removeprefix(name)
                    row |= {
                        f"cell_{stem}": cell_value,
                        f"cell_{name}_error{unit}": cell_bar,
                        f"ridge_{stem}": ridge_value,
                        f"ridge_{name}_error{unit}": ridge_bar,
                        f"difference_{stem}": cell_value - ridge_value,
                        f"difference_{name}_error{unit}": cell_bar + ridge_bar,
                        f"relative_difference_{name}": (cell_value - ridge_value) / abs(ridge_value),
                        f"relative_difference_{name}_error": (cell_bar + ridge_bar) / abs(ridge_value),
                    }
                rows.append(row)
    return pd.DataFrame(rows)
