"""Grid Convergence Index (Celik et al. 2008) and the choice of the production level."""

import math

import numpy as np
import pytest
import xarray as xr
from electrolyte3d import time_error
from electrolyte3d.convergence import analyse, error_budget, grid_convergence_index, table, verdicts_html


def test_gci_reproduces_celik_et_al_table_1():
    """Celik et al. (2008), Table 1, first column: N = 18000, 8000, 4500 cells."""
    gci = grid_convergence_index((6.063, 5.972, 5.863), (18000, 8000, 4500))
    assert gci.kind == "monotonic"
    assert gci.observed_order == pytest.approx(1.53, abs=0.005)
    assert gci.extrapolated == pytest.approx(6.1685, abs=5e-5)
    assert gci.approximate_relative_error == pytest.approx(0.015, abs=5e-4)
    assert gci.extrapolated_relative_error == pytest.approx(0.017, abs=5e-4)
    assert gci.gci_fine == pytest.approx(0.022, abs=5e-4)


@pytest.mark.parametrize("order", [1.0, 2.0])
def test_gci_recovers_a_known_order_and_limit_with_unequal_refinement_ratios(order):
    triangles = (41000, 17500, 8000)  # r21 = 1.53, r32 = 1.48
    exact, constant = 812.5, -3.0e4
    values = tuple(exact + constant * (1 / n) ** (order / 2) for n in triangles)
    gci = grid_convergence_index(values, triangles)
    assert gci.kind == "monotonic" and gci.bar_rule == "observed_order"
    assert gci.observed_order == pytest.approx(order, rel=1e-9)
    assert gci.extrapolated == pytest.approx(exact, rel=1e-12)
    r21 = math.sqrt(triangles[0] / triangles[1])
    error = abs(values[1] - values[0]) / abs(values[0])
    assert gci.gci_fine == pytest.approx(1.25 * error / (r21**order - 1), rel=1e-9)
    assert gci.extrapolated_relative_error == pytest.approx(abs(values[0] - exact) / exact, rel=1e-9)


def test_an_order_above_the_formal_one_is_measured_but_the_bar_uses_the_formal_order_or_the_range():
    """Eca and Hoekstra's rule for p > 2.05: the bar is the larger of the Richardson bar at p = 2
    and 1.25 x the data range, and it still covers the true error."""
    triangles = (41000, 17500, 8000)
    exact, constant = 812.5, -3.0e4
    values = tuple(exact + constant * (1 / n) ** (3.3 / 2) for n in triangles)
    gci = grid_convergence_index(values, triangles)
    assert gci.kind == "monotonic" and gci.bar_rule == "formal_order_or_range"
    assert gci.observed_order == pytest.approx(3.3, rel=1e-9)
    r21 = math.sqrt(triangles[0] / triangles[1])
    richardson = 1.25 * abs(values[1] - values[0]) / values[0] / (r21**2 - 1)
    data_range = (max(values) - min(values)) / values[0]
    assert gci.gci_fine == pytest.approx(max(richardson, 1.25 * data_range), rel=1e-12)
    assert gci.extrapolated == pytest.approx((r21**2 * values[0] - values[1]) / (r21**2 - 1), rel=1e-12)
    assert gci.gci_fine >= abs(values[0] - exact) / values[0]


@pytest.mark.parametrize("fine", [1.0100, 1.0101])
def test_a_finest_pair_that_agrees_by_chance_still_gets_a_bar_that_covers_the_error(fine):
    """Exact value 1; the coarse level is 4 % off, the medium 1 %, and the fine level agrees with
    the medium by chance (or exactly). Celik et al.'s order is then huge (or undefined) and their
    GCI near 0, far below the fine level's true 1 % error; the data-range bar covers it."""
    triangles = (40000, 20000, 10000)
    values = (fine, 1.0101, 1.04)
    gci = grid_convergence_index(values, triangles)
    assert gci.bar_rule == "formal_order_or_range"
    assert gci.kind == ("grid_independent" if fine == values[1] else "monotonic")
    true_error = abs(fine - 1.0) / fine
    assert gci.gci_fine >= true_error
    assert gci.gci_fine == pytest.approx(1.25 * (1.04 - fine) / fine, rel=1e-12)


def test_gci_flags_oscillatory_and_divergent_sequences_and_exact_agreement():
    triangles = (40000, 20000, 10000)
    oscillating = grid_convergence_index((1.0, 1.01, 0.97), triangles)
    assert oscillating.kind == "oscillatory" and oscillating.bar_rule == "range"
    assert oscillating.observed_order == pytest.approx(math.log(4) / math.log(math.sqrt(2)))
    assert oscillating.gci_fine == pytest.approx(3 * 0.04, rel=1e-12)
    diverging = grid_convergence_index((1.0, 1.02, 1.03), triangles)
    assert diverging.kind == "divergent" and math.isnan(diverging.gci_fine) and diverging.bar_rule == "none"
    settled = grid_convergence_index((2.0, 2.0, 2.0), triangles)
    assert settled.kind == "grid_independent" and settled.gci_fine == 0


def test_gci_refuses_levels_in_the_wrong_order():
    with pytest.raises(ValueError, match="must decrease"):
        grid_convergence_index((1.0, 1.1, 1.2), (10000, 20000, 40000))


def ladder(c_mean: list[float], statuses=None, depletion=None, growth: int = 2) -> list[xr.Dataset]:
    """Per-level results as the solve rule writes them, with c_mean at two report times
    (the second ten times further from the limit than the first), on 1000 x growth^level
    triangles."""
    times = np.array([0.0, 1.0, 2.0])
    levels = []
    for level, value in enumerate(c_mean):
        attrs = {
            "case": "demo",
            "status": (statuses or ["completed"] * len(c_mean))[level],
            "triangles": 1000 * growth**level,
        }
        if depletion:
            attrs["depletion_time_s"] = depletion[level]
        series = {
            name: ("time", np.array([1000.0, value, 1000.0 - 10 * (1000.0 - value)]))
            for name in ("c_mean", "c_min", "c_cv", "i_loc_cv", "cell_overpotential")
        }
        levels.append(
            xr.Dataset(
                series, coords={"time": times, "report_time": ("time", np.array([0, 1, 1], dtype=np.int8))}, attrs=attrs
            )
        )
    return levels


def test_production_level_is_the_coarsest_whose_changes_stay_within_tolerance():
    # changes of c_mean@2s: 0.1 %, 0.01 %, 0.001 % against the next finer level
    result = analyse(ladder([999.9, 999.99, 999.999, 999.9999]), "c_mean", 2e-4)
    assert result.attrs["grid_status"] == "converged"
    assert result.attrs["production_level"] == 1
    assert list(result.meets_criterion.values) == [0, 1, 1, 0]
    assert result.criterion_change.values[0] == pytest.approx(0.9 / 999.9, rel=1e-6)
    assert set(result.dims) == {"level", "quantity"}
    assert result.value.sel(quantity="c_mean@2s").values[3] == pytest.approx(999.999)
    rows = table(result, 2.0)
    assert rows["production"].tolist() == [False, True, False, False]
    assert rows["c_mean_mol_m3"].iloc[3] == pytest.approx(999.999)


def test_a_lucky_pair_does_not_pass_a_mesh_whose_finer_levels_still_move():
    result = analyse(ladder([999.0, 999.0, 990.0, 989.99]), "c_mean", 1e-4)
    assert result.attrs["grid_status"] == "not_converged"
    assert result.attrs["production_level"] == 3
    assert "no level meets the criterion" in result.attrs["grid_status_message"]


def test_unfinished_levels_make_the_case_not_converged_in_plain_words():
    result = analyse(ladder([999.9, 999.99, 999.999], statuses=["completed", "diverged", "completed"]), "c_mean", 1.0)
    assert result.attrs["grid_status"] == "not_converged"
    assert "level 1 diverged" in result.attrs["grid_status_message"]


def test_depletion_time_can_be_the_criterion():
    result = analyse(ladder([900.0, 900.0, 900.0], depletion=[10.0, 10.5, 10.5005]), "depletion_time", 1e-3)
    assert result.attrs["production_level"] == 1
    missing = analyse(ladder([900.0, 900.0, 900.0]), "depletion_time", 1e-3)
    assert "not available" in missing.attrs["grid_status_message"]


def test_report_page_says_in_plain_words_which_cases_are_not_converged():
    converged = analyse(ladder([999.9, 999.99, 999.999, 999.9999]), "c_mean", 2e-4)
    moving = analyse(ladder([999.0, 999.0, 990.0, 989.99]), "c_mean", 1e-4)
    moving.attrs["case"] = "moving"
    page = verdicts_html([converged, moving], table(converged, 2.0))
    assert "1 of 2 cases are not shown to be converged" in page
    assert "<b>demo: converged</b>" in page and "<b>moving: not converged</b>" in page
    assert "no level meets the criterion" in page


@pytest.mark.parametrize("order", [0.7, 1.0, 2.0])
def test_the_time_error_estimate_recovers_a_known_order_and_limit(order):
    exact, constant, tolerance, factor = 812.5, -3.0e5, 1e-4, 10.0
    values = [exact + constant * t**order for t in (factor * tolerance, tolerance, tolerance / factor)]
    estimate = time_error.estimate(*values, factor)
    assert estimate.kind == "monotonic"
    assert estimate.observed_order == pytest.approx(order, rel=1e-9)
    assert estimate.extrapolated == pytest.approx(exact, rel=1e-12)
    assert estimate.relative_error == pytest.approx(
        time_error.SAFETY_FACTOR * abs(values[1] - exact) / values[1], rel=1e-9
    )


def test_an_unconfirmed_time_order_gets_the_larger_safety_factor():
    alternating = time_error.estimate(1.0, 1.001, 1.0005, 10.0)  # changes of opposite sign
    assert alternating.kind == "unconfirmed" and math.isnan(alternating.observed_order)
    assert alternating.relative_error == pytest.approx(3.0 * 0.0005 / (1 - 1 / 10) / 1.001, rel=1e-12)
    assert time_error.estimate(2.0, 2.0, 2.0, 10.0).relative_error == 0


def demo_time_error(result: xr.Dataset, error: float) -> xr.Dataset:
    """A time_error.nc in which every quantity of ``result`` has the relative time error ``error``."""
    return xr.Dataset(
        {
            "time_error": ("quantity", np.full(result.sizes["quantity"], error)),
            "time_order": ("quantity", np.ones(result.sizes["quantity"])),
            "time_error_kind": ("quantity", np.array(["monotonic"] * result.sizes["quantity"], dtype=object)),
        },
        coords={"quantity": result.quantity.values},
        attrs={"tolerance_factor": 10.0},
    )


def test_a_coarser_production_level_carries_its_distance_from_the_extrapolation_plus_the_gci():
    # second order (the error halves as the triangles double): c_mean@2s is 1000 - 0.8 / 2^level
    grid = analyse(ladder([999.92, 999.96, 999.98, 999.99]), "c_mean", 2.5e-4)
    result = error_budget(grid, demo_time_error(grid, 1e-6))
    row = result.sel(quantity="c_mean@2s")
    assert str(row.gci_rule.values) == "observed_order" and grid.attrs["production_level"] == 1
    production = float(row.value.sel(level=1))
    finest = float(row.value.sel(level=3))
    expected = (abs(production - float(row.extrapolated_value)) + float(row.gci_fine) * abs(finest)) / abs(production)
    assert float(row.grid_error) == pytest.approx(expected, rel=1e-12)
    true_error = abs(production - 1000.0) / production
    assert float(row.gci_fine) < true_error <= float(row.grid_error)  # the finest level's GCI alone is too small
    assert float(row.total_error) == pytest.approx(expected + 1e-6, rel=1e-12)
    # level 1 passes the change criterion (2e-4 and 1e-4 per refinement), but its error is 4e-4
    assert result.attrs["ladder_status"] == "converged"
    assert result.attrs["grid_status"] == "not_converged" and result.attrs["error_failed_part"] == "grid"


def test_a_time_error_above_the_tolerance_makes_a_converged_ladder_not_converged():
    # second order, c_mean@2s = 1000 - 0.08 / 2^level: level 0's grid error 9.25e-5 is within 1e-4
    grid = analyse(ladder([999.992, 999.996, 999.998, 999.999]), "c_mean", 1e-4)
    within = error_budget(grid, demo_time_error(grid, 1e-6))
    assert within.attrs["grid_status"] == "converged" and within.attrs["production_level"] == 0
    result = error_budget(grid, demo_time_error(grid, 5e-4))
    assert result.attrs["ladder_status"] == "converged"
    assert result.attrs["grid_status"] == "not_converged" and result.attrs["error_failed_part"] == "time"
    assert "the time part exceeds it" in result.attrs["grid_status_message"]


def test_report_times_the_finest_level_does_not_resolve_are_left_out_of_the_verdict():
    levels = ladder([999.0, 999.0, 990.0, 989.99])
    for level in levels:
        level["resolved"] = ("time", np.array([1, 1, 1], dtype=np.int8))
    moving = analyse(levels, "c_mean", 1e-4)
    for level in levels:  # the report time that moves is one the mesh does not resolve
        level["resolved"] = ("time", np.array([1, 1, 0], dtype=np.int8))
    judged = analyse(levels, "c_mean", 1e-4)
    assert moving.attrs["grid_status"] == "not_converged"
    assert list(judged.quantity_resolved.sel(quantity=["c_mean@1s", "c_mean@2s"]).values) == [1, 0]
    assert judged.criterion_change.values[0] == pytest.approx(
        moving.sel(quantity="c_mean@1s").relative_change.values[0]
    )
