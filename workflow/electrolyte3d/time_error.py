"""The time-stepping error of a case's results, measured: Richardson extrapolation on the time
tolerance at the case's production level.

The level is solved again with ``time_rtol`` times and divided by a ``factor`` (the solve itself is
the middle one). If the time error of a quantity behaves like C tol^q (tolerance
proportionality), the loose-minus-production change d_loose = Q(f tol) - Q(tol) and the
production-minus-tight change d_tight = Q(tol) - Q(tol / f) give the observed order
q = ln(d_loose / d_tight) / ln f, the extrapolated (time-exact) value Q(tol) - d_tight / (1 - f^-q)
and the time error of the production value |d_tight| / (1 - f^-q), multiplied by a safety factor
as the Grid Convergence Index is. A quantity whose changes alternate in sign, or whose observed
order lies outside ORDER_RANGE, gets the assumed order 1 and the larger safety factor 3 (Roache's
rule for estimates whose order is not confirmed)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import xarray as xr

from electrolyte3d import convergence
from electrolyte3d.settings import SolverSettings

SAFETY_FACTOR = 1.25
UNCONFIRMED_SAFETY_FACTOR = 3.0
ORDER_RANGE = (0.5, 3.0)
ASSUMED_ORDER = 1.0

TOLERANCES = ("loose", "production", "tight")


@dataclass(frozen=True)
class TimeErrorEstimate:
    """``kind``: monotonic (order observed within ORDER_RANGE), unconfirmed (alternating changes
    or an order outside the range: assumed order and safety factor 3), time_independent (the
    production and tight solves agree exactly). ``relative_error`` is of the production value."""

    kind: str
    observed_order: float
    extrapolated: float
    relative_error: float


def estimate(loose: float, production: float, tight: float, factor: float) -> TimeErrorEstimate:
    """The time error of ``production`` = Q(tol) from Q(factor tol), Q(tol), Q(tol / factor)."""
    d_loose, d_tight = loose - production, production - tight
    if d_tight == 0:
        return TimeErrorEstimate("time_independent", math.nan, production, 0.0)
    order = math.log(abs(d_loose / d_tight)) / math.log(factor) if d_loose * d_tight > 0 else math.nan
    confirmed = ORDER_RANGE[0] <= order <= ORDER_RANGE[1]
    used = order if confirmed else ASSUMED_ORDER
    error = abs(d_tight) / (1 - factor**-used)
    safety = SAFETY_FACTOR if confirmed else UNCONFIRMED_SAFETY_FACTOR
    extrapolated = production - math.copysign(error, d_tight)
    relative = safety * error / abs(production) if production else math.inf
    return TimeErrorEstimate("monotonic" if confirmed else "unconfirmed", order, extrapolated, relative)


def settings_for(settings: SolverSettings, factor: float) -> dict[str, SolverSettings]:
    """The solver settings of the loose, production and tight solves."""
    return {
        "loose": replace(settings, time_rtol=settings.time_rtol * factor),
        "production": settings,
        "tight": replace(settings, time_rtol=settings.time_rtol / factor),
    }


def analyse(solves: dict[str, xr.Dataset], factor: float) -> xr.Dataset:
    """The time-error dataset of one case from its ``solves`` (keys TOLERANCES) on one level:
    every quantity the grid study compares, at the three tolerances, with its observed order,
    time-extrapolated value and the relative time error of the production value."""
    ordered = [solves[name] for name in TOLERANCES]
    production = solves["production"]
    stationary = "time" not in production.dims
    times, table = convergence.quantities(ordered)
    compared = list(table)
    estimates = [
        TimeErrorEstimate("stationary", math.nan, float(table[quantity][1]), 0.0)
        if stationary
        else estimate(*(float(value) for value in table[quantity]), factor)
        for quantity in compared
    ]
    ds = xr.Dataset(
        coords={
            "tolerance": (
                "tolerance",
                list(TOLERANCES),
                {"long_name": "solve: time_rtol times factor, as produced, divided by factor"},
            ),
            "quantity": ("quantity", [q.label for q in compared], {"long_name": "compared quantity, name@report time"}),
        }
    )
    ds["time_rtol"] = (
        "tolerance",
        [solves[name].attrs.get("solver_time_rtol", math.nan) for name in TOLERANCES],
        {"long_name": "time tolerance of the solve", "units": "1"},
    )
    ds["value"] = (
        ("tolerance", "quantity"),
        np.array([table[q] for q in compared]).T.reshape(len(TOLERANCES), len(compared)),
        {"long_name": "quantity at each tolerance (units: as in convergence.nc)"},
    )
    ds["time_error_kind"] = (
        "quantity",
        np.array([e.kind for e in estimates], dtype=object),
        {"long_name": "monotonic, unconfirmed (assumed order 1, safety factor 3), time_independent or stationary"},
    )
    ds["time_order"] = (
        "quantity",
        [e.observed_order for e in estimates],
        {"long_name": "observed order of the error in the time tolerance", "units": "1"},
    )
    ds["time_extrapolated_value"] = (
        "quantity",
        [e.extrapolated for e in estimates],
        {"long_name": "value extrapolated to a zero time tolerance"},
    )
    ds["time_error"] = (
        "quantity",
        [e.relative_error for e in estimates],
        {
            "long_name": "estimated time-stepping error of the production value, relative (with safety factor)",
            "units": "1",
        },
    )
    ds.attrs = {
        "title": f"electrolyte3d: time-stepping error of case {production.attrs['case']}",
        "Conventions": "CF-1.10",
        "case": production.attrs["case"],
        "mesh_level": int(production.attrs.get("mesh_level", -1)),
        "tolerance_factor": factor,
        "common_report_times_s": times,
        **{f"{name}_status": solves[name].attrs["status"] for name in TOLERANCES},
        **{
            f"{name}_{stat}": solves[name].attrs.get(stat, 0)
            for name in TOLERANCES
            for stat in ("time_steps", "newton_iterations", "factorisations", "wall_time_s")
        },
    }
    return ds
