"""The refining ladder (when a grid study adds a level) and the error bars a one-level case
borrows from its reference's grid study."""

import math

import numpy as np
import pytest
from electrolyte3d import ladder
from electrolyte3d.borrowed import borrowed_convergence
from electrolyte3d.convergence import analyse, error_budget
from electrolyte3d.resolution import Resolution
from test_convergence import demo_time_error
from test_convergence import ladder as levels_with

LIMITS = ladder.LadderLimits(max_levels=5, max_level_memory_mb=4000)
MEMORY = [600, 900, 1500, 2800, 5500]


def test_a_passed_ladder_stops_where_it_passed():
    stop = ladder.stop("converged", 3, LIMITS, MEMORY)
    assert (stop.levels, stop.reason) == (3, "passed")


def test_a_ladder_that_has_not_passed_adds_a_level_until_a_cap_stops_it():
    assert ladder.stop("not_converged", 3, LIMITS, MEMORY) is None  # level 3 needs 2800 MB
    capped = ladder.stop("not_converged", 4, LIMITS, MEMORY)  # level 4 would need 5500 MB
    assert capped.reason == "max_level_memory_mb"
    assert "level 4 would need about 5500 MB, over the cap mesh/max_level_memory_mb = 4000" in capped.message
    without_memory_cap = ladder.LadderLimits(max_levels=5)
    assert ladder.stop("not_converged", 4, without_memory_cap, MEMORY) is None
    assert ladder.stop("not_converged", 5, without_memory_cap, MEMORY).reason == "max_levels"


def test_a_study_may_cap_its_3d_cells_apart_from_its_2d_sections():
    mesh = {"max_levels": 7, "max_level_memory_mb": 9500, "cell": {"max_level_memory_mb": 5000}}
    section, cell = (ladder.LadderLimits.from_config({"mesh": mesh}, dimension) for dimension in (2, 3))
    assert (section.max_level_memory_mb, cell.max_level_memory_mb) == (9500, 5000)
    memory = [600, 900, 1500, 2800, 5500, 7000, 9000]
    assert ladder.stop("not_converged", 4, section, memory) is None
    capped = ladder.stop("not_converged", 4, cell, memory)
    assert "over the cap mesh/cell/max_level_memory_mb = 5000" in capped.message
    shared = ladder.LadderLimits.from_config({"mesh": {**mesh, "cell": {}}}, 3)
    assert shared == section


def test_a_capped_ladder_names_its_cap_in_the_verdict():
    grid = analyse(levels_with([999.0, 999.5, 999.7]), "c_mean", 1e-4)
    result = error_budget(grid, demo_time_error(grid, 1e-6))
    ladder.record(result, ladder.stop(grid.attrs["grid_status"], 3, ladder.LadderLimits(3), MEMORY))
    assert result.attrs["ladder_stop"] == "max_levels" and result.attrs["ladder_levels"] == 3
    assert result.attrs["grid_status"] == "not_converged"
    assert result.attrs["grid_status_message"].endswith(
        "the ladder stopped at the cap mesh/max_levels = 3 without passing the acceptance criterion"
    )


@pytest.mark.parametrize(
    ("value", "expected", "levels"),
    [
        ("ladder", Resolution(), None),
        ({"level": 2}, Resolution("level", level=2), [2]),
        ({"level": 2, "check_coarser": True}, Resolution("level", level=2, check_coarser=True), [1, 2]),
        ({"from": "pillar", "check_coarser": True}, Resolution("from", reference="pillar", check_coarser=True), [2, 3]),
    ],
)
def test_resolution_reads_the_three_forms(value, expected, levels):
    resolution = Resolution.from_config("sweep 's'", value)
    assert resolution == expected
    if levels:
        assert resolution.levels(levels[-1]) == levels


def reference_study():
    """A converged reference: production level 1, second order on triangles 8 times as many per
    level (c_mean@2s = 1000 - 0.8 / 8^level changes by 7e-4, 8.8e-5, 1.1e-5 per level)."""
    values = [1000.0 - 0.08 / 8**level for level in range(4)]
    grid = analyse(levels_with(values, growth=8), "c_mean", 2e-4)
    result = error_budget(grid, demo_time_error(grid, 1e-6))
    result.attrs["case"] = "reference"
    return result


def point_levels(values, depletion=None):
    results = levels_with(values, depletion=depletion)
    for result in results:
        result.attrs["case"] = "point"
    return results


def test_a_point_on_its_references_level_carries_its_error_bars_marked_as_borrowed():
    reference = reference_study()
    assert reference.attrs["production_level"] == 1 and reference.attrs["grid_status"] == "converged"
    point = borrowed_convergence(point_levels([999.99]), [1], reference, "c_mean", 2e-4)
    assert point.attrs["production_level"] == 1 and point.level.values.tolist() == [1]
    assert point.attrs["error_source"] == "borrowed" and point.attrs["error_reference"] == "reference"
    assert point.attrs["grid_status"] == "converged" and point.attrs["coarser_check"] == "not_checked"
    for part in ("grid_error", "time_error", "total_error"):
        np.testing.assert_array_equal(
            point[part].sel(quantity="c_mean@2s").values, reference[part].sel(quantity="c_mean@2s").values
        )
    assert point.grid_error.sel(quantity="c_mean@2s") > 0
    assert set(point.gci_kind.values) == {"borrowed"}
    assert str(point.gci_rule.sel(quantity="c_mean@2s").values) == str(
        reference.gci_rule.sel(quantity="c_mean@2s").values
    )
    assert np.isnan(point.extrapolated_value.values).all()


def test_a_quantity_the_reference_lacks_gets_no_bar():
    point = borrowed_convergence(point_levels([999.99], depletion=[5.0]), [1], reference_study(), "c_mean", 2e-4)
    depletion = point.sel(quantity="depletion_time")
    assert str(depletion.gci_kind.values) == "not_assessed" and math.isnan(float(depletion.total_error))
    assert str(depletion.gci_rule.values) == "none"


def test_a_point_harder_than_its_reference_is_flagged_by_its_coarser_check():
    reference = reference_study()
    bar = float(reference.grid_error.sel(quantity="c_mean@1s"))  # c_mean@2s moves and has a bar 10x larger
    within = borrowed_convergence(point_levels([999.99 * (1 - bar / 2), 999.99]), [0, 1], reference, "c_mean", 2e-4)
    assert within.attrs["coarser_check"] == "within" and within.attrs["grid_status"] == "converged"
    assert within.relative_change.sel(level=0, quantity="c_mean@1s") == pytest.approx(bar / 2, rel=1e-6)
    harder = borrowed_convergence(point_levels([999.0, 999.5]), [0, 1], reference, "c_mean", 2e-4)
    assert harder.attrs["coarser_check"] == "exceeds" and harder.attrs["grid_status"] == "not_converged"
    assert "harder to resolve than 'reference'" in harder.attrs["grid_status_message"]
    assert harder.coarser_exceeds.sel(quantity="c_mean@2s") == 1


def test_a_point_on_a_fixed_level_without_a_reference_has_no_error_bar():
    point = borrowed_convergence(point_levels([999.0, 999.5]), [1, 2], None, "c_mean", 2e-4)
    assert point.attrs["grid_status"] == "not_assessed" and point.attrs["error_source"] == "none"
    assert np.isnan(point.total_error.values).all()
    assert point.attrs["coarser_change"] == pytest.approx(5 / 995, rel=1e-9)  # c_mean@2s: 990 then 995
