"""Grid independence of one case over its mesh ladder: the change of each reported quantity
under refinement, the paper's acceptance criterion, and the Grid Convergence Index of
Celik et al. (ASME J. Fluids Eng. 130, 078001, 2008) on the three finest levels, with the
safeguards of Eca and Hoekstra (J. Mar. Sci. Technol. 14, 2009; J. Comput. Phys. 262, 2014)
where the observed order is not to be trusted."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from electrolyte3d.shapes import element_count

SAFETY_FACTOR = 1.25
"""Celik et al.'s factor for three-grid studies."""

OSCILLATION_FACTOR = 3.0
"""Eca and Hoekstra's factor on the data range of an oscillatory sequence."""

FORMAL_ORDER = 2.0
"""Order of the discretisation error of the reported quantities: P1 elements, h^2."""

ORDER_MARGIN = 0.05
"""An observed order above FORMAL_ORDER + ORDER_MARGIN (Eca and Hoekstra's 2.05) is not
trusted: the finest pair may agree by chance, and the observed order then overstates how fast
the error falls."""

TIME_QUANTITIES = {
    "c_mean": ("length-weighted mean salt concentration at the interface", "mol m-3"),
    "c_min": ("minimum salt concentration at the interface", "mol m-3"),
    "c_cv": ("coefficient of variation of the interface salt concentration", "1"),
    "i_loc_cv": ("coefficient of variation of the interface reaction current density", "1"),
    "cell_overpotential": ("cell overpotential (mean top potential against the electrode)", "V"),
    "lithiation_cv": ("coefficient of variation of c_s over the cathode area (cathode cases)", "1"),
}
"""Quantities compared at every report time that all levels of a case reached (those the
results have: lithiation_cv only a cathode case's)."""

EVENT_TIMES = {
    "depletion_time": "time to depletion (min interface c below the threshold)",
    "saturation_time": "time to saturation (a cathode's interface at its saturation lithiation)",
}
"""Times at which a case ended, compared when every level ended so (units s)."""

CRITERION_QUANTITIES = (*TIME_QUANTITIES, *EVENT_TIMES)


@dataclass(frozen=True)
class GridConvergenceIndex:
    """Celik et al.'s procedure on a fine (1), medium (2) and coarse (3) solution.

    ``kind`` is ``monotonic`` (0 < R < 1 with R = eps21 / eps32), ``oscillatory`` (R < 0; the
    order is then computed from |R| as Celik et al. do, and is only indicative), ``divergent``
    (R >= 1: the changes grow under refinement; no order, no bar), or ``grid_independent`` (fine
    and medium agree exactly).

    ``bar_rule`` says how ``gci_fine``, the error bar of the finest value relative to it, was
    made (Eca and Hoekstra's procedure for three grids, whose fit is exact):

    - ``observed_order``: monotonic with p <= FORMAL_ORDER + ORDER_MARGIN, Celik et al.'s
      1.25 |eps21 / phi1| / (r21^p - 1);
    - ``formal_order_or_range``: monotonic with a larger p, or fine and medium equal while the
      coarse level differs: the larger of that formula with p = FORMAL_ORDER and 1.25 times the
      data range max(phi) - min(phi) of the three levels, over |phi1|;
    - ``range``: oscillatory, 3 times the data range over |phi1|;
    - ``none``: divergent (NaN).

    ``extrapolated`` is the Richardson extrapolation with the order the bar used.
    """

    kind: str
    observed_order: float
    extrapolated: float
    approximate_relative_error: float
    extrapolated_relative_error: float
    gci_fine: float
    bar_rule: str = "none"


def grid_convergence_index(
    values: tuple[float, float, float], elements: tuple[int, int, int], dimension: int = 2
) -> GridConvergenceIndex:
    """GCI of ``values`` = (phi1, phi2, phi3) on meshes with ``elements`` = (N1, N2, N3),
    finest first. The representative cell size is (area / N)^(1/dimension), so the refinement
    ratios are r21 = (N1 / N2)^(1/dimension) and r32 = (N2 / N3)^(1/dimension)."""
    phi1, phi2, phi3 = values
    n1, n2, n3 = elements
    if not n1 > n2 > n3:
        raise ValueError(f"element counts {elements} must decrease from the fine to the coarse level")
    r21, r32 = (n1 / n2) ** (1 / dimension), (n2 / n3) ** (1 / dimension)
    eps21, eps32 = phi2 - phi1, phi3 - phi2
    approximate = abs(eps21 / phi1) if phi1 else math.inf
    data_range = (max(values) - min(values)) / abs(phi1) if phi1 else math.inf
    if eps21 == 0:
        bar = SAFETY_FACTOR * data_range
        return GridConvergenceIndex("grid_independent", math.nan, phi1, 0.0, 0.0, bar, "formal_order_or_range")
    ratio = eps21 / eps32 if eps32 else math.inf
    if ratio >= 1:
        return GridConvergenceIndex("divergent", math.nan, math.nan, approximate, math.nan, math.nan)
    sign = math.copysign(1.0, ratio)
    order = _observed_order(abs(eps32 / eps21), r21, r32, sign)
    if sign < 0:
        kind, rule, bar_order = "oscillatory", "range", order
    elif order <= FORMAL_ORDER + ORDER_MARGIN:
        kind, rule, bar_order = "monotonic", "observed_order", order
    else:
        kind, rule, bar_order = "monotonic", "formal_order_or_range", FORMAL_ORDER
    gain = r21**bar_order - 1
    extrapolated = (r21**bar_order * phi1 - phi2) / gain
    richardson = SAFETY_FACTOR * approximate / gain
    bar = {
        "observed_order": richardson,
        "formal_order_or_range": max(richardson, SAFETY_FACTOR * data_range),
        "range": OSCILLATION_FACTOR * data_range,
    }[rule]
    return GridConvergenceIndex(
        kind=kind,
        observed_order=order,
        extrapolated=extrapolated,
        approximate_relative_error=approximate,
        extrapolated_relative_error=abs((extrapolated - phi1) / extrapolated) if extrapolated else math.inf,
        gci_fine=bar,
        bar_rule=rule,
    )


def _observed_order(change_ratio: float, r21: float, r32: float, sign: float) -> float:
    """p = |ln|eps32/eps21| + q(p)| / ln r21 with q(p) = ln((r21^p - s) / (r32^p - s)),
    solved by fixed-point iteration (Celik et al. eq. 3); q = 0 for a constant ratio."""
    order = abs(math.log(change_ratio)) / math.log(r21)
    for _ in range(200):
        correction = math.log((r21**order - sign) / (r32**order - sign))
        updated = abs(math.log(change_ratio) + correction) / math.log(r21)
        if abs(updated - order) <= 1e-12 * max(1.0, order):
            return updated
        order = updated
    raise ArithmeticError(f"observed order did not converge (last p = {order:.6g})")


@dataclass(frozen=True)
class Quantity:
    """One compared quantity: a variable of the interface results, at a report time or not."""

    name: str
    time: float = math.nan

    @property
    def label(self) -> str:
        return self.name if math.isnan(self.time) else f"{self.name}@{self.time:.6g}s"

    @property
    def units(self) -> str:
        return TIME_QUANTITIES[self.name][1] if self.name in TIME_QUANTITIES else "s"


def resolved_on(result: xr.Dataset, compared: list[Quantity]) -> np.ndarray:
    """Per quantity, whether the mesh of ``result`` resolves the depletion layer when the quantity
    is taken: at its report time, or at the last time for an event time (1 when stationary)."""
    if "resolved" not in result:
        return np.ones(len(compared), dtype=np.int8)
    last = int(result.resolved.isel(time=-1))
    return np.array(
        [last if math.isnan(q.time) else int(result.resolved.sel(time=q.time)) for q in compared], dtype=np.int8
    )


def quantities(levels: list[xr.Dataset]) -> tuple[np.ndarray, dict[Quantity, np.ndarray]]:
    """Each compared quantity on every level (coarsest first): the time series at the report
    times all levels reached (or the stationary values), and the depletion (saturation) time when
    every level depleted (saturated). Returns (common report times, {quantity: values per level})."""
    table: dict[Quantity, np.ndarray] = {}
    present = [name for name in TIME_QUANTITIES if name in levels[0]]
    if "time" in levels[0].dims:
        reported = [set(ds.time.values[ds.report_time.values == 1]) for ds in levels]
        times = np.array(sorted(set.intersection(*reported)))
        for name in present:
            series = np.array([ds[name].sel(time=times).values for ds in levels])
            for column, time in enumerate(times):
                table[Quantity(name, float(time))] = series[:, column]
    else:
        times = np.array([])
        for name in present:
            table[Quantity(name)] = np.array([float(ds[name]) for ds in levels])
    for event in EVENT_TIMES:
        if all(f"{event}_s" in ds.attrs for ds in levels):
            table[Quantity(event)] = np.array([ds.attrs[f"{event}_s"] for ds in levels])
    return times, table


def quantity_coords(levels: np.ndarray, compared: list[Quantity], resolved: np.ndarray) -> dict:
    """The ``level`` and ``quantity`` coordinates of a convergence dataset (``resolved``: per
    quantity, whether the finest level resolves the depletion layer when it is taken)."""
    return {
        "level": ("level", levels, {"long_name": "mesh ladder level (0 is the coarsest)", "units": "1"}),
        "quantity": ("quantity", [q.label for q in compared], {"long_name": "compared quantity, name@report time"}),
        "quantity_name": (
            "quantity",
            [q.name for q in compared],
            {"long_name": "variable of the per-level interface results"},
        ),
        "quantity_time": (
            "quantity",
            [q.time for q in compared],
            {"long_name": "report time of the quantity (NaN: not a time series value)", "units": "s"},
        ),
        "quantity_units": (
            "quantity",
            [q.units for q in compared],
            {"long_name": "units of value and extrapolated_value"},
        ),
        "quantity_resolved": (
            "quantity",
            resolved,
            {
                "long_name": "the finest level resolves the depletion layer when the quantity is taken "
                "(else it is left out of the verdict)",
                "flag_values": np.array([0, 1], dtype=np.int8),
                "flag_meanings": "unresolved resolved",
            },
        ),
    }


def analyse(levels: list[xr.Dataset], criterion: str, tolerance: float) -> xr.Dataset:
    """The convergence dataset of one case from its solves on levels 0..n-1 (in that order).

    The relative change of a quantity on level k is |phi_{k+1} - phi_k| / |phi_{k+1}|: how much
    it still moves under one more refinement. Level k meets the criterion when the largest
    relative change of the criterion quantity (over all its report times) is at most
    ``tolerance`` on level k and on every finer level but the finest, so one lucky pair does
    not pass a mesh. The production level is the coarsest level that meets it; if none does,
    or a level did not finish, the case is ``not_converged`` and the finest level stands in,
    labelled as such.
    """
    case = levels[0].attrs["case"]
    statuses = [ds.attrs["status"] for ds in levels]
    elements = np.array([element_count(ds.attrs) for ds in levels])
    dimension = levels[0].attrs.get("dimension", 2)
    times, table = quantities(levels)
    compared = list(table)
    values = np.array([table[quantity] for quantity in compared]).T  # (level, quantity)
    change = np.full_like(values, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        change[:-1] = np.abs(np.diff(values, axis=0)) / np.abs(values[1:])
    variables = [quantity.name for quantity in compared]

    indices = [
        GridConvergenceIndex("too_few_levels", *[math.nan] * 5)
        if len(levels) < 3
        else grid_convergence_index(tuple(values[::-1][:3, column]), tuple(elements[::-1][:3]), dimension)
        for column in range(len(compared))
    ]

    resolved = resolved_on(levels[-1], compared)
    criterion_columns = [
        column for column, variable in enumerate(variables) if variable == criterion and resolved[column]
    ]
    criterion_change = (
        np.max(change[:, criterion_columns], axis=1) if criterion_columns else np.full(len(levels), np.nan)
    )
    unfinished = [
        level for level, status in enumerate(statuses) if status not in ("completed", "depleted", "saturated")
    ]
    meets = np.zeros(len(levels), dtype=bool)
    for level in range(len(levels) - 1):
        meets[level] = bool(np.all(criterion_change[level:-1] <= tolerance))
    production, status, reason = _verdict(
        meets, unfinished, statuses, criterion, criterion_columns, tolerance, criterion_change
    )

    level_axis = np.arange(len(levels))
    ds = xr.Dataset(coords=quantity_coords(level_axis, compared, resolved))
    ds["elements"] = (
        "level",
        elements,
        {"long_name": "electrolyte elements, the solved domain (triangles in 2D, tetrahedra in 3D)", "units": "1"},
    )
    ds["solve_status"] = ("level", np.array(statuses, dtype=object), {"long_name": "status of the solve on the level"})
    ds["value"] = (("level", "quantity"), values, {"long_name": "quantity on the level (units: quantity_units)"})
    ds["relative_change"] = (
        ("level", "quantity"),
        change,
        {"long_name": "|phi(level+1) - phi(level)| / |phi(level+1)|, NaN on the finest level", "units": "1"},
    )
    ds["criterion_change"] = (
        "level",
        criterion_change,
        {"long_name": f"largest relative change of {criterion} over its resolved report times", "units": "1"},
    )
    ds["meets_criterion"] = (
        "level",
        meets.astype(np.int8),
        {
            "long_name": f"criterion_change <= {tolerance:g} on this and every finer level",
            "flag_values": np.array([0, 1], dtype=np.int8),
            "flag_meanings": "no yes",
        },
    )
    gci_fields = {
        "gci_kind": (
            "kind",
            {
                "long_name": "convergence on the three finest levels: "
                "monotonic, oscillatory, divergent, grid_independent"
            },
        ),
        "observed_order": ("observed_order", {"long_name": "observed order of convergence p", "units": "1"}),
        "extrapolated_value": ("extrapolated", {"long_name": "Richardson-extrapolated value (units: quantity_units)"}),
        "approximate_relative_error": (
            "approximate_relative_error",
            {"long_name": "e_a21 = |phi1 - phi2| / |phi1|", "units": "1"},
        ),
        "extrapolated_relative_error": (
            "extrapolated_relative_error",
            {"long_name": "e_ext21 = |phi_ext - phi1| / |phi_ext|", "units": "1"},
        ),
        "gci_fine": (
            "gci_fine",
            {"long_name": "grid convergence index of the finest level, relative (rule: gci_rule)", "units": "1"},
        ),
        "gci_rule": (
            "bar_rule",
            {
                "long_name": "how gci_fine was made: observed_order (1.25 |eps21/phi1| / (r21^p - 1)), "
                f"formal_order_or_range (p > {FORMAL_ORDER + ORDER_MARGIN:g}: the larger of that with "
                f"p = {FORMAL_ORDER:g} and 1.25 x the three levels' range), range (oscillatory: "
                f"{OSCILLATION_FACTOR:g} x the range), none (divergent)"
            },
        ),
    }
    for variable, (field, attrs) in gci_fields.items():
        column = [getattr(index, field) for index in indices]
        text = field in ("kind", "bar_rule")
        ds[variable] = ("quantity", np.array(column, dtype=object if text else float), attrs)
    ds.attrs = {
        "title": f"electrolyte3d: grid convergence of case {case}",
        "Conventions": "CF-1.10",
        "case": case,
        "grid_status": status,
        "grid_status_message": reason,
        "production_level": production,
        "criterion_quantity": criterion,
        "criterion_tolerance": tolerance,
        "gci_levels": ", ".join(str(level) for level in level_axis[-3:]),
        "dimension": dimension,
        "refinement_ratio_21": float((elements[-1] / elements[-2]) ** (1 / dimension)),
        "refinement_ratio_32": float((elements[-2] / elements[-3]) ** (1 / dimension)) if len(levels) > 2 else math.nan,
        "common_report_times_s": times,
    }
    return ds


def _verdict(meets, unfinished, statuses, criterion, criterion_columns, tolerance, criterion_change):
    finest = len(meets) - 1
    if unfinished:
        listed = ", ".join(f"level {level} {statuses[level]}" for level in unfinished)
        return finest, "not_converged", f"not every level finished ({listed}), so grid independence cannot be judged"
    if not criterion_columns:
        return (
            finest,
            "not_converged",
            f"{criterion} is not available on every level at a time the finest level resolves (e.g. a level did "
            "not deplete)",
        )
    if meets.any():
        level = int(np.argmax(meets))
        return (
            level,
            "converged",
            (
                f"level {level} is the coarsest level whose {criterion} changes by at most {tolerance:g} "
                "(relative) under every further refinement"
            ),
        )
    changes = ", ".join(f"{change:.2g}" for change in criterion_change[:-1])
    return (
        finest,
        "not_converged",
        (
            f"no level meets the criterion: {criterion} still changes by {changes} (relative, levels 0 to {finest - 1} "
            f"against the next finer) against a tolerance of {tolerance:g}; results use the finest level {finest}, "
            "which is not shown to be grid independent"
        ),
    )


def error_budget(grid: xr.Dataset, time: xr.Dataset) -> xr.Dataset:
    """convergence.nc: the grid analysis of :func:`analyse` with, for every quantity, the error
    of its production-level value in space and in time and their sum, and the verdict on it.

    The grid error of the production value is the GCI of the finest level when the production
    level is the finest; on a coarser level it is that value's distance from the extrapolated
    value plus the finest level's GCI (as a fraction of the production value). The time error is
    the measured one of :mod:`electrolyte3d.time_error` (NaN where the time-error solves did not
    reach the quantity). A case is converged when its ladder passes the change criterion and the
    total error of the criterion quantity, over the report times the finest level resolves, is
    within the tolerance; otherwise it is not converged and ``error_failed_part`` says whether
    the grid part, the time part or only their sum exceeds it."""
    ds = grid.copy()
    production = ds.attrs["production_level"]
    value = ds.value.sel(level=production)
    finest = ds.value.isel(level=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        distance = np.abs(value - ds.extrapolated_value) + ds.gci_fine * np.abs(finest)
        grid_error = xr.where(production == ds.level.values[-1], ds.gci_fine, distance / np.abs(value))
    time_error = time.time_error.reindex(quantity=ds.quantity)
    ds["grid_error"] = (
        "quantity",
        grid_error.values,
        {"long_name": "estimated grid error of the production-level value, relative", "units": "1"},
    )
    ds["time_error"] = (
        "quantity",
        time_error.values,
        {
            "long_name": "estimated time-stepping error of the production-level value, relative (time_error.nc)",
            "units": "1",
        },
    )
    ds["time_order"] = (
        "quantity",
        time.time_order.reindex(quantity=ds.quantity).values,
        {"long_name": "observed order of the time error in the time tolerance", "units": "1"},
    )
    ds["time_error_kind"] = (
        "quantity",
        time.time_error_kind.reindex(quantity=ds.quantity, fill_value="not_reached").values.astype(object),
        time.time_error_kind.attrs,
    )
    ds["total_error"] = (
        "quantity",
        (grid_error + time_error).values,
        {
            "long_name": "grid_error + time_error: the numerical error bar of the production-level value, relative",
            "units": "1",
        },
    )
    criterion, tolerance = ds.attrs["criterion_quantity"], ds.attrs["criterion_tolerance"]
    judged = (ds.quantity_name.values == criterion) & (ds.quantity_resolved.values == 1)
    worst = {
        part: float(np.max(ds[f"{part}_error"].values[judged])) if judged.any() else math.nan
        for part in ("grid", "time", "total")
    }
    ds.attrs.update(
        ladder_status=ds.attrs["grid_status"],
        ladder_status_message=ds.attrs["grid_status_message"],
        time_tolerance_factor=time.attrs["tolerance_factor"],
        **{f"{criterion}_{part}_error": value for part, value in worst.items()},
    )
    failed = [part for part in ("grid", "time") if not worst[part] <= tolerance]
    if ds.attrs["grid_status"] == "converged" and worst["total"] <= tolerance:
        ds.attrs["error_failed_part"] = ""
        ds.attrs["grid_status_message"] += (
            f"; its total error bar is {worst['total']:.2g} (grid {worst['grid']:.2g}, time "
            f"{worst['time']:.2g}), within {tolerance:g}"
        )
        return ds
    ds.attrs["error_failed_part"] = " and ".join(failed) if failed else "sum"
    ds.attrs["grid_status"] = "not_converged"
    if ds.attrs["ladder_status"] == "converged":
        ds.attrs["grid_status_message"] = (
            f"level {production} passes the change criterion, but the total error bar of its {criterion} is "
            f"{worst['total']:.2g} (grid {worst['grid']:.2g}, time {worst['time']:.2g}) against a tolerance of "
            f"{tolerance:g}: "
            + (f"the {ds.attrs['error_failed_part']} part exceeds it" if failed else "their sum exceeds it")
        )
    else:
        ds.attrs["grid_status_message"] += (
            f"; the total error bar of its {criterion} is {worst['total']:.2g} (grid {worst['grid']:.2g}, time "
            f"{worst['time']:.2g})"
        )
    return ds


def table(ds: xr.Dataset, time: float | None) -> pd.DataFrame:
    """One row per level for the report: element count, mean interface c at ``time`` (or the
    stationary value) with its relative change and GCI, the depletion time with its GCI,
    the criterion change and the chosen level; on the production level's row, the grid, time and
    total error bars of its mean c and depletion time."""
    rows = []
    c_mean = find_quantity(ds, "c_mean", time)
    depletion = find_quantity(ds, "depletion_time")
    for level in ds.level.values:
        row = {
            "case": ds.attrs["case"],
            "level": int(level),
            "elements": int(ds.elements.sel(level=level)),
            "time_s": time if time is not None else math.nan,
            "c_mean_mol_m3": float(ds.value.sel(level=level, quantity=c_mean)) if c_mean else math.nan,
            "c_mean_relative_change": float(ds.relative_change.sel(level=level, quantity=c_mean))
            if c_mean
            else math.nan,
            "depletion_time_s": float(ds.value.sel(level=level, quantity=depletion)) if depletion else math.nan,
            "criterion_change": float(ds.criterion_change.sel(level=level)),
            "meets_criterion": bool(ds.meets_criterion.sel(level=level)),
            "production": int(level) == ds.attrs["production_level"],
            "grid_status": ds.attrs["grid_status"],
            "error_failed_part": ds.attrs.get("error_failed_part", ""),
        }
        for label, quantity in (("c_mean", c_mean), ("depletion_time", depletion)):
            selected = ds.sel(quantity=quantity) if quantity else None
            for part in ("grid", "time", "total"):
                bar = (
                    float(selected[f"{part}_error"])
                    if selected is not None and f"{part}_error" in selected
                    else math.nan
                )
                row[f"{label}_{part}_error"] = bar if row["production"] else math.nan
            if label == "c_mean":
                row["c_mean_time_order"] = (
                    float(selected.time_order)
                    if selected is not None and "time_order" in selected and row["production"]
                    else math.nan
                )
            row[f"{label}_gci_fine"] = float(selected.gci_fine) if selected is not None else math.nan
            row[f"{label}_order"] = float(selected.observed_order) if selected is not None else math.nan
            row[f"{label}_extrapolated"] = float(selected.extrapolated_value) if selected is not None else math.nan
            row[f"{label}_gci_kind"] = str(selected.gci_kind.values) if selected is not None else ""
        rows.append(row)
    return pd.DataFrame(rows)


def find_quantity(ds: xr.Dataset, name: str, time: float | None = None) -> str | None:
    """The label of quantity ``name`` in a convergence dataset: for a time series the one at
    report ``time`` (the first if ``time`` is None), otherwise the quantity itself; None if absent."""
    matches = ds.quantity_name.values == name
    if time is not None:
        timed = ~np.isnan(ds.quantity_time.values)
        matches &= ~timed | np.isclose(ds.quantity_time.values, time, rtol=1e-9, atol=0)
    labels = ds.quantity.values[matches]
    return str(labels[0]) if labels.size else None


def latest_common_time(ds: xr.Dataset) -> float | None:
    """The latest report time that every level of the case reached (None when stationary)."""
    times = np.atleast_1d(ds.attrs["common_report_times_s"])
    return float(times[-1]) if times.size else None


def verdicts_html(results: list[xr.Dataset], rows: pd.DataFrame) -> str:
    """The grid-independence verdict of every case in plain words, then the per-level table,
    as a self-contained HTML page for the Snakemake report."""
    items = "\n".join(
        f"<li><b>{ds.attrs['case']}: {ds.attrs['grid_status'].replace('_', ' ')}</b> &mdash; "
        f"{html.escape(ds.attrs['grid_status_message'])}.</li>"
        for ds in results
    )
    unconverged = sum(ds.attrs["grid_status"] != "converged" for ds in results)
    headline = (
        f"{unconverged} of {len(results)} cases are not shown to be converged (a level that passes the acceptance "
        "criterion, with a total error bar, grid + time stepping, within its tolerance); they are labelled so "
        "in every output."
        if unconverged
        else f"All {len(results)} cases met the acceptance criterion, with total error bars (grid + time) within it."
    )
    return (
        "<html><head><meta charset='utf-8'><title>Grid independence</title></head><body>"
        f"<h2>Grid independence</h2><p>{headline}</p><ul>{items}</ul>"
        f"{rows.to_html(index=False, float_format=lambda value: f'{value:.4g}', na_rep='')}</body></html>\n"
    )


def time_key(time: float | None) -> float | None:
    return None if time is None or np.isnan(time) else round(float(time), 9)


def quantity_columns(convergence: xr.Dataset) -> dict:
    """(name, report time rounded to 1e-9 s, or None) -> the quantity's column in ``convergence``."""
    return {
        (str(name), time_key(float(time))): column
        for column, (name, time) in enumerate(zip(convergence.quantity_name.values, convergence.quantity_time.values))
    }
