"""The time integration against solutions it does not use: the order of the NDF/BDF formulas on
a smooth linear system, the 1D film against Crank's slab series at the default settings, and the
error bars (grid + time) of a film's grid study against the exact values they must cover."""

import math

import numpy as np
import pytest
import skfem
import xarray as xr
from electrolyte3d import bdf, convergence, time_error
from electrolyte3d.cases import cases_from_config
from electrolyte3d.config import validate_config
from electrolyte3d.problem import Problem
from electrolyte3d.settings import SolverSettings
from electrolyte3d.time_stepping import transient
from scipy.optimize import brentq
from test_solver import FILM, slab_interface_drop

# --- the formulas: order k on a smooth problem --------------------------------------------------


def constant_step_error(order: int, steps: int) -> float:
    """Max-norm error at t = 1 of the order-``order`` formula with ``steps`` equal steps on
    dy/dt = A y (a stiff-ish 2x2 system with eigenvalues -1 and -10), started from exact history."""
    matrix = np.array([[-5.5, 4.5], [4.5, -5.5]])
    values, vectors = np.linalg.eigh(matrix)

    def exact(t):
        return vectors @ (np.exp(values * t) * (vectors.T @ np.array([1.0, 0.0])))

    step = 1.0 / steps
    history = [exact(-m * step) for m in range(order + 1)]  # y_n, y_(n-1), ...
    table = bdf.DifferenceTable(history[0], np.zeros(2), step)
    table.order = order
    differences = np.array(history)
    for j in range(order + 1):  # D[j] = j-th backward difference at t = 0
        table.table[j] = differences[0]
        differences = differences[:-1] - differences[1:]
    for _ in range(steps):
        predicted = table.predict()
        state = np.linalg.solve(table.leading_coefficient * np.eye(2) - matrix, -table.history(predicted))
        table.accept(state - predicted)
    return float(np.max(np.abs(table.table[0] - exact(1.0))))


@pytest.mark.parametrize("order", [1, 2, 3, 4, 5])
def test_each_formula_converges_at_its_order(order):
    coarse, fine = constant_step_error(order, 160), constant_step_error(order, 320)
    assert math.log2(coarse / fine) == pytest.approx(order, abs=0.15)


def test_the_dense_output_interpolates_the_step_at_its_order():
    table = bdf.DifferenceTable(np.array([1.0]), np.array([-1.0]), 0.1)
    table.order = 3
    times = -0.1 * np.arange(4)
    differences = np.exp(-times)[:, None]
    for j in range(4):
        table.table[j] = differences[0]
        differences = differences[:-1] - differences[1:]
    midpoint = table.dense(-0.05, 0.0)
    assert midpoint[0] == pytest.approx(math.exp(0.05), rel=1e-5)


# --- the 1D film at the default settings against the slab series --------------------------------


def film_line(thickness: float, first: float, ratio: float, largest: float) -> skfem.MeshLine1:
    """A 1D film, x = 0 the interface and x = thickness the top, graded from ``first`` by
    ``ratio`` up to cells of ``largest``: fine enough that its spatial error is below 2e-5."""
    growing = int(math.log(largest / first) / math.log(ratio)) + 1
    sizes = np.concatenate([first * ratio ** np.arange(growing), np.full(int(thickness / largest) + 1, largest)])
    edges = np.concatenate([[0.0], np.cumsum(sizes)])
    nodes = np.append(edges[edges < thickness * (1 - 1e-3)], thickness)
    boundaries = {"interface": lambda x: np.isclose(x[0], 0.0), "top": lambda x: np.isclose(x[0], thickness)}
    return skfem.MeshLine(nodes).with_boundaries(boundaries)


FILMS = {
    # the planar film of the issue that found the old integrator's 1 % error
    "issue": (
        {
            "D_unit": "m2/s",
            "D_plus": 6.0e-12,
            "t_plus": 0.3,
            "exchange_current_density_A_m2": 2.5,
            "current_density_mA_cm2": 3.0,
        },
        {"depletion_fraction": 0.1},
        (1e-8, 1.05),
    ),
    # the paper's printed film: D in cm2/s, a depletion layer of nanometres
    "printed D": (
        {"D_plus": 3.2e-12, "charge_transfer_resistance_ohm": 1556.7},
        {"depletion_fraction": 0.1},
        (1e-11, 1.01),
    ),
    # near depletion: reported down to 2 % of c0
    "near depletion": (
        {
            "D_unit": "m2/s",
            "D_plus": 1.0e-12,
            "t_plus": 0.4,
            "exchange_current_density_A_m2": 1.0,
            "current_density_mA_cm2": 2.0,
        },
        {"depletion_fraction": 0.01},
        (5e-10, 1.025),
    ),
}


def film_case(physics: dict, solver_settings: dict):
    config = {
        "geometry": {"electrode_length_um": 100, "electrode_thickness_um": 100},
        "designs": {"film": {"pillar_centres_um": []}},
        "physics": physics,
        "solver": solver_settings,
    }
    validate_config(config)
    return cases_from_config(config)["film"].physics, SolverSettings.from_config(config)


def exact_film(physics, settings):
    """The slab series' interface c(t) and the time it falls to the depletion threshold."""
    flux = physics.salt_consumed_per_charge * physics.current_density

    def interface(t):
        return physics.c0 - slab_interface_drop(t, physics.D_ambipolar, flux, FILM)

    threshold = settings.depletion_fraction * physics.c0
    return interface, brentq(lambda t: interface(t) - threshold, 1e-9, settings.end_time)


def solve_film(physics, settings, mesh, report_times):
    problem = Problem(mesh, physics)
    solution = transient(problem, settings, np.asarray(report_times))
    node = problem.interface_nodes[0]
    reported = {snapshot.time: float(snapshot.x[node]) for snapshot in solution.snapshots if snapshot.scheduled}
    return solution, reported


@pytest.mark.parametrize("film", FILMS)
def test_the_default_time_tolerance_reproduces_the_slab_series_to_1e_4(film):
    physics_settings, solver_settings, (first, ratio) = FILMS[film]
    physics, settings = film_case(physics_settings, solver_settings)
    interface, depletion = exact_film(physics, settings)
    report_times = depletion * np.array([0.01, 0.1, 0.5, 0.99])
    _, settings_with_reports = film_case(physics_settings, {**solver_settings, "report_times_s": report_times.tolist()})
    solution, reported = solve_film(
        physics, settings_with_reports, film_line(FILM, first, ratio, FILM / 1000), report_times
    )
    assert solution.status == "depleted"
    assert solution.event_time == pytest.approx(depletion, rel=1e-4)
    for time in report_times:
        assert reported[time] == pytest.approx(interface(time), rel=1e-4), time
    assert solution.max_charge_imbalance < 1e-8


def test_a_tighter_time_tolerance_gives_a_smaller_error_of_the_depletion_time():
    """time_rtol is the error of the results: 1e-3, 1e-4 and 1e-5 give errors below each (on a
    mesh whose own error, 1e-5, is below the tightest)."""
    physics_settings, solver_settings, (first, ratio) = FILMS["issue"]
    mesh = film_line(FILM, first, ratio, FILM / 500)
    errors = []
    for tolerance in (1e-3, 1e-4, 1e-5):
        physics, settings = film_case(physics_settings, {**solver_settings, "time_rtol": tolerance})
        _, depletion = exact_film(physics, settings)
        solution, _ = solve_film(physics, settings, mesh, [])
        errors.append(abs(solution.event_time - depletion) / depletion)
    assert errors[0] < 1e-3 and errors[1] < 1e-4 and errors[1] < errors[0]
    assert errors[2] < 2.5e-5  # the mesh's own error


# --- the error bars of a grid study cover the exact error -----------------------------------------


def ladder_level(level: int, refinement: float = 1.5) -> skfem.MeshLine1:
    """A coarse 1D ladder: every cell size (first cell 40 nm, grading 1.2, cells of at most
    4 um on level 0) divided by ``refinement`` per level, so that the cell count grows by it."""
    scale = refinement**-level
    return film_line(FILM, 4e-8 * scale, 1.2**scale, 4e-6 * scale)


def film_result(physics, settings, mesh, report_times, level: int) -> xr.Dataset:
    """What a solve writes, for a 1D film: c at the interface node as the interface mean at
    the report times, the status and the depletion time, on a 'level' with mesh.nelements cells."""
    solution, reported = solve_film(physics, settings, mesh, report_times)
    times = np.array(sorted(reported))
    attrs = {
        "case": "film",
        "mesh_level": level,
        "status": solution.status,
        "segments": mesh.nelements,
        "dimension": 1,
        "solver_time_rtol": settings.time_rtol,
        **({"depletion_time_s": solution.event_time} if solution.event_time else {}),
    }
    return xr.Dataset(
        {"c_mean": ("time", [reported[t] for t in times]), "resolved": ("time", np.ones(times.size, dtype=np.int8))},
        coords={"time": times, "report_time": ("time", np.ones(times.size, dtype=np.int8))},
        attrs=attrs,
    )


def test_the_total_error_bar_covers_the_exact_error_of_the_planar_film():
    """A coarse ladder (:func:`ladder_level`, grid errors of 2e-5 - 4e-3) at the default time tolerance:
    the total error bar of the production value of the mean interface c at every report time and of
    the depletion time is at least its true error."""
    physics_settings, solver_settings, _ = FILMS["issue"]
    physics, settings = film_case(physics_settings, solver_settings)
    interface, depletion = exact_film(physics, settings)
    report_times = [1.0, 10.0, 100.0]
    _, settings = film_case(physics_settings, {**solver_settings, "report_times_s": report_times})
    meshes = [ladder_level(level) for level in range(4)]
    levels = [film_result(physics, settings, mesh, report_times, level) for level, mesh in enumerate(meshes)]
    grid = convergence.analyse(levels, "c_mean", 1e-4)
    production = grid.attrs["production_level"]
    solves = {"production": levels[production]}
    for name, tolerance in time_error.settings_for(settings, 10.0).items():
        if name != "production":
            solves[name] = film_result(physics, tolerance, meshes[production], report_times, production)
    analysed = convergence.error_budget(grid, time_error.analyse(solves, 10.0))
    exact = {f"c_mean@{t:.6g}s": interface(t) for t in report_times} | {"depletion_time": depletion}
    for quantity, value in exact.items():
        row = analysed.sel(quantity=quantity)
        produced = float(row.value.sel(level=production))
        true_error = abs(produced - value) / abs(value)
        assert np.isfinite(row.total_error) and true_error <= float(row.total_error), (
            quantity,
            true_error,
            float(row.total_error),
        )
        assert float(row.grid_error) + float(row.time_error) == pytest.approx(float(row.total_error))
    # the bars are not vacuous: the ladder's errors are well above round-off, and the verdict says so
    assert max(float(analysed.sel(quantity=q).total_error) for q in exact) > 1e-5
    assert analysed.attrs["grid_status"] == "not_converged" and analysed.attrs["error_failed_part"]


def test_the_time_error_is_negligible_at_every_level_of_a_ladder():
    """The grid study compares meshes, not time grids: at the default time tolerance the measured
    time error of every level is a small fraction of the grid criterion (1e-4)."""
    physics_settings, solver_settings, _ = FILMS["issue"]
    report_times = [1.0, 10.0, 100.0]
    physics, settings = film_case(physics_settings, {**solver_settings, "report_times_s": report_times})
    for level in (0, 2):
        mesh = ladder_level(level)
        solves = {
            name: film_result(physics, tolerance, mesh, report_times, level)
            for name, tolerance in time_error.settings_for(settings, 10.0).items()
        }
        measured = time_error.analyse(solves, 10.0)
        assert float(measured.time_error.max()) < 0.3e-4, level
