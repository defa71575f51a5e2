"""The error bars of a case solved on one mesh level (``resolution: {level: N}`` or
``{from: <case>}``). It has no grid study of its own: it carries its reference's error bars, marked
as borrowed; with ``check_coarser`` it is also solved one level coarser and the change is compared
with the borrowed grid error, so a point harder to resolve than its reference is flagged rather
than given a bar too small."""

from __future__ import annotations

import math

import numpy as np
import xarray as xr

from electrolyte3d import convergence
from electrolyte3d.shapes import element_count


def borrowed_convergence(
    results: list[xr.Dataset],
    levels: list[int],
    reference: xr.Dataset | None,
    criterion: str,
    tolerance: float,
) -> xr.Dataset:
    """The convergence dataset of a case solved on ``levels`` (its production level last, and the
    one below it when checked), shaped as :func:`convergence.error_budget`'s, with the error bars of
    ``reference``'s convergence dataset borrowed quantity by quantity (matched by name and report
    time; NaN where the reference lacks one). Without a reference the bars are NaN and the case is
    ``not_assessed``. A checked case whose coarser-level change of the criterion quantity exceeds
    the borrowed grid error of it is ``not_converged``: it is harder to resolve than its reference."""
    case = results[-1].attrs["case"]
    production = levels[-1]
    times, table = convergence.quantities(results)
    compared = list(table)
    values = np.array([table[quantity] for quantity in compared]).T
    resolved = convergence.resolved_on(results[-1], compared)
    ds = xr.Dataset(coords=convergence.quantity_coords(np.array(levels), compared, resolved))
    ds["elements"] = (
        "level",
        np.array([element_count(result.attrs) for result in results]),
        {"long_name": "electrolyte elements, the solved domain (triangles in 2D, tetrahedra in 3D)", "units": "1"},
    )
    ds["solve_status"] = (
        "level",
        np.array([result.attrs["status"] for result in results], dtype=object),
        {"long_name": "status of the solve on the level"},
    )
    ds["value"] = (("level", "quantity"), values, {"long_name": "quantity on the level (units: quantity_units)"})
    change = np.full_like(values, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        change[:-1] = np.abs(np.diff(values, axis=0)) / np.abs(values[1:])
    ds["relative_change"] = (
        ("level", "quantity"),
        change,
        {"long_name": "|phi(level+1) - phi(level)| / |phi(level+1)|, NaN on the finest level", "units": "1"},
    )
    borrowed = _borrowed_bars(reference, compared)
    for name, (column, attrs) in borrowed.items():
        ds[name] = ("quantity", column, attrs)
    ds["extrapolated_value"] = (
        "quantity",
        np.full(len(compared), np.nan),
        {"long_name": "Richardson-extrapolated value (NaN: no grid study of this case)"},
    )
    judged = (ds.quantity_name.values == criterion) & (resolved == 1)
    checked = len(levels) > 1
    coarser = change[0] if checked else np.full(len(compared), np.nan)
    comparable = judged & np.isfinite(coarser) & np.isfinite(ds.grid_error.values)
    exceeds = comparable & (coarser > ds.grid_error.values)
    ds["coarser_exceeds"] = (
        "quantity",
        exceeds.astype(np.int8),
        {
            "long_name": "the change from one level coarser exceeds the borrowed grid error (0 also where not "
            "compared)",
            "flag_values": np.array([0, 1], dtype=np.int8),
            "flag_meanings": "no yes",
        },
    )
    worst = int(np.argmax(np.where(comparable, coarser / ds.grid_error.values, -np.inf))) if comparable.any() else None
    status, message, check = _borrowed_verdict(
        production,
        reference,
        criterion,
        checked,
        worst is not None and bool(exceeds.any()),
        (coarser[worst], float(ds.grid_error.values[worst]), str(ds.quantity.values[worst]))
        if worst is not None
        else None,
    )
    coarser_change = float(np.nanmax(coarser[judged])) if checked and np.isfinite(coarser[judged]).any() else math.nan
    ds.attrs = {
        "title": f"electrolyte3d: error bars of case {case}, solved on level {production} only",
        "Conventions": "CF-1.10",
        "case": case,
        "grid_status": status,
        "grid_status_message": message,
        "production_level": production,
        "criterion_quantity": criterion,
        "criterion_tolerance": tolerance,
        "dimension": results[-1].attrs.get("dimension", 2),
        "common_report_times_s": times,
        "error_source": "borrowed" if reference is not None else "none",
        "error_reference": reference.attrs["case"] if reference is not None else "",
        "coarser_check": check,
        "coarser_change": coarser_change,
    }
    return ds


BORROWED = {
    "grid_error": "estimated grid error of the production-level value, relative, borrowed from the reference",
    "time_error": "estimated time-stepping error of the production-level value, relative, borrowed from the reference",
    "total_error": "grid_error + time_error, relative, borrowed from the reference",
    "gci_fine": "grid convergence index of the reference's finest level, borrowed",
    "observed_order": "observed order of convergence p of the reference, borrowed",
    "approximate_relative_error": "e_a21 of the reference, borrowed",
    "extrapolated_relative_error": "e_ext21 of the reference, borrowed",
    "time_order": "observed order of the reference's time error in the time tolerance, borrowed",
}


def _borrowed_bars(reference: xr.Dataset | None, compared: list) -> dict:
    keys = [(quantity.name, convergence.time_key(quantity.time)) for quantity in compared]
    columns = {} if reference is None else convergence.quantity_columns(reference)
    bars = {}
    for name, long_name in BORROWED.items():
        source = reference[name].values if reference is not None else None
        values = np.array([math.nan if key not in columns else float(source[columns[key]]) for key in keys])
        bars[name] = (values, {"long_name": long_name + " (NaN: the reference has no such quantity)", "units": "1"})
    kinds = np.array(["borrowed" if key in columns else "not_assessed" for key in keys], dtype=object)
    bars["gci_kind"] = (kinds, {"long_name": "borrowed (from the reference's grid study) or not_assessed"})
    rules = [str(reference["gci_rule"].values[columns[key]]) if key in columns else "none" for key in keys]
    bars["gci_rule"] = (
        np.array(rules, dtype=object),
        {"long_name": "how the reference's gci_fine was made (its gci_rule), borrowed; none: not assessed"},
    )
    bars["time_error_kind"] = (kinds.copy(), {"long_name": "borrowed (from the reference) or not_assessed"})
    return bars


def _borrowed_verdict(production, reference, criterion, checked, exceeds, worst):
    """(grid_status, message, coarser_check); ``worst`` is (change, borrowed grid error, quantity) of
    the quantity whose change is largest against its borrowed grid error (None: none compared)."""
    if reference is None:
        return (
            "not_assessed",
            f"solved on level {production} only, without a grid study or a reference to borrow error bars from",
            "checked" if checked else "not_checked",
        )
    name = reference.attrs["case"]
    status = reference.attrs["grid_status"]
    borrowed = (
        f"level {production}, the production level of the grid study of '{name}' ({status.replace('_', ' ')}), "
        "whose error bars it borrows"
    )
    if not checked:
        return status, borrowed, "not_checked"
    if worst is None:
        return (
            "not_converged",
            f"{borrowed}; the check on level {production - 1} found no {criterion} with a borrowed grid error to "
            "compare with at a resolved report time",
            "not_available",
        )
    change, bar, quantity = worst
    if exceeds:
        return (
            "not_converged",
            f"{borrowed}; but its {quantity} changes by {change:.2g} from level {production - 1}, more than the "
            f"borrowed grid error {bar:.2g}: this case is harder to resolve than '{name}', so the borrowed bar may "
            "be too small",
            "exceeds",
        )
    return (
        status,
        f"{borrowed}; its {criterion} changes from level {production - 1} by at most its borrowed grid error at "
        f"every compared report time (nearest its bar: {quantity}, {change:.2g} against {bar:.2g})",
        "within",
    )
