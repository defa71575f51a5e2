"""The study dataset built from per-case results: common axes, case coordinates, summary, plots."""

import math

import numpy as np
import pytest
import xarray as xr
from conftest import REPO
from electrolyte3d import plots, study, summary, time_error
from electrolyte3d.cases import cases_from_config
from electrolyte3d.config import load_config
from electrolyte3d.convergence import analyse, error_budget
from electrolyte3d.parameters import UM

REPORT_TIMES = np.array([0.5, 1.0, 2.0])


def solved(case: str, level: int, length: float, stop: float | None = None, status: str = "completed") -> xr.Dataset:
    """A per-level result as the solve rule writes it: c(s, t) = c0 - a t (1 + s / L), reported at
    0.5, 1 and 2 s unless it depleted at ``stop``."""
    times = np.array([0.0, *REPORT_TIMES[REPORT_TIMES < (stop or math.inf)], *([stop] if stop else [])])
    flags = np.isin(times, REPORT_TIMES).astype(np.int8)
    s = np.linspace(0, length, 50 + 10 * level)
    c = 1000.0 - (10.0 + level) * times[:, None] * (1 + s / length)
    series = {name: ("time", c.mean(axis=1) * 0 + value) for name, value in (("c_max", 1000.0), ("c_std", 1.0))}
    ds = xr.Dataset(
        {
            "c_interface": (("time", "s"), c, {"long_name": "salt concentration at the interface", "units": "mol m-3"}),
            "i_loc": (("time", "s"), 3.0 + 0 * c, {"long_name": "plating current density", "units": "A m-2"}),
            "c_mean": ("time", c.mean(axis=1), {"long_name": "mean", "units": "mol m-3"}),
            "c_min": ("time", c.min(axis=1), {"long_name": "minimum", "units": "mol m-3"}),
            "c_cv": ("time", c.std(axis=1) / c.mean(axis=1), {"long_name": "cv", "units": "1"}),
            **series,
        },
        coords={"time": times, "report_time": ("time", flags), "s": s, "x": ("s", s - length / 2), "y": ("s", 0 * s)},
        attrs={
            "case": case,
            "mesh_level": level,
            "status": status,
            "status_message": status,
            "triangles": 1000 * 2**level,
            "interface_length_m": length,
            **({"depletion_time_s": stop} if stop else {}),
            "physics_D_plus_m2_s": 1e-14,
            "physics_D_ambipolar_m2_s": 1e-14,
            "physics_t_plus": 0.5,
            "physics_exchange_current_density_A_m2": 1.0,
            "physics_current_density_A_m2": 3.0,
            "physics_c0_mol_m3": 1000.0,
            "physics_temperature_K": 298.15,
        },
    )
    for name in (
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
    ):
        ds[name] = ("time", np.ones(times.size), {"long_name": name, "units": "1"})
    return ds


def analysed(levels: list[xr.Dataset], criterion: str, tolerance: float) -> xr.Dataset:
    """convergence.nc of a case as the workflow writes it: the grid analysis with the time error
    of its production level (zero here: these results do not depend on a time tolerance)."""
    grid = analyse(levels, criterion, tolerance)
    production = levels[grid.attrs["production_level"]]
    return error_budget(grid, time_error.analyse(dict.fromkeys(time_error.TOLERANCES, production), 10.0))


def paper_designs(spiral_stop: float, spiral_status: str = "completed") -> xr.Dataset:
    cases = {
        name: case
        for name, case in cases_from_config(load_config(REPO / "config/config.yaml")).items()
        if case.study == "anode"
    }
    lengths = {"planar": 1400 * UM, "spiral": 2600 * UM, "pillar": 2300 * UM}
    stops = {"planar": None, "spiral": spiral_stop, "pillar": None}
    statuses = {"planar": "completed", "spiral": spiral_status, "pillar": "completed"}
    levels = {
        name: [solved(name, level, lengths[name], stops[name], statuses[name]) for level in range(3)] for name in cases
    }
    convergences = {name: analysed(levels[name], "c_mean", 1e-4) for name in cases}
    results = {name: levels[name][convergences[name].attrs["production_level"]] for name in cases}
    descriptors = {name: case.descriptors() for name, case in cases.items()}
    return study.build(descriptors, convergences, results, {"config_sha256": "0" * 64})


@pytest.fixture
def paper_study():
    return paper_designs(spiral_stop=1.5)


def test_a_case_that_failed_early_does_not_pull_the_common_time_down():
    ds = paper_designs(spiral_stop=0.2, spiral_status="diverged")
    assert ds.attrs["common_time_s"] == 2.0
    assert str(ds.status.sel(case="spiral").values) == "diverged"
    assert ds.c_mean.sel(case="spiral").isnull().all()  # no report time reached: kept, but empty


def test_cases_share_report_times_and_normalised_arc_length(paper_study):
    ds = paper_study
    assert dict(ds.sizes) == {"case": 3, "time": 3, "s_norm": study.PROFILE_POINTS}
    np.testing.assert_allclose(ds.time, REPORT_TIMES)
    assert ds.attrs["common_time_s"] == 1.0  # spiral depleted at 1.5 s
    assert ds.c_mean.sel(case="spiral", time=2.0).isnull()
    assert float(ds.end_time.sel(case="spiral")) == 1.5
    # the profile is linear in s / L, so interpolation onto s_norm is exact
    level = int(ds.production_level.sel(case="pillar"))
    expected = 1000.0 - (10.0 + level) * 1.0 * (1 + ds.s_norm.values)
    np.testing.assert_allclose(ds.c_interface.sel(case="pillar", time=1.0), expected, rtol=1e-12)


def test_case_coordinates_carry_the_design_parameters(paper_study):
    ds = paper_study
    assert float(ds.pillar_pitch.sel(case="pillar")) == pytest.approx(400 * UM)
    assert math.isnan(float(ds.pillar_pitch.sel(case="spiral")))  # uneven spacing
    assert int(ds.pillar_count.sel(case="spiral")) == 4
    assert ds.pillar_width.attrs["units"] == "m" and ds.D_plus.attrs["units"] == "m2 s-1"
    assert ds.groupby("pillar_count").mean().sizes["pillar_count"] == 3
    assert str(ds.grid_status.sel(case="planar").values) == "not_converged"
    assert float(ds.depletion_time.sel(case="spiral")) == 1.5 and ds.depletion_time.sel(case="planar").isnull()


def test_summary_has_one_row_per_case_with_units_in_the_column_names(paper_study):
    table = summary.summary(paper_study)
    assert table["case"].tolist() == ["planar", "spiral", "pillar"]
    assert {"pillar_width_m", "D_plus_m2_s", "c_mean_mol_m3", "c_cv", "c_min_over_mean", "common_time_s"} <= set(
        table.columns
    )
    assert (table["common_time_s"] == 1.0).all()
    skipped = {
        "name": "array_w450_p400_h150_n3",
        "design": "array",
        "reason": "pillars overlap",
        "pillar_width": 450 * UM,
        "pillar_pitch": 400 * UM,
        "pillar_height": 150 * UM,
        "pillar_count": 3,
        "pillar_diameter": float("nan"),
    }
    with_skipped = summary.summary(paper_study, [skipped])
    assert len(with_skipped) == 4
    row = with_skipped.iloc[-1]
    assert (row["status"], row["status_message"], row["pillar_count"]) == ("invalid_geometry", "pillars overlap", 3)
    assert np.isnan(row["depletion_time_s"]) and row["pillar_width_m"] == pytest.approx(450 * UM)


def test_figures_leave_out_failed_cases_and_name_them(paper_study):
    ds = paper_study.copy()
    ds["status"] = ("case", ["completed", "diverged", "completed"])
    figure = plots.uniformity(ds)
    assert "not shown: spiral (diverged)" in figure._suptitle.get_text()
    figure = plots.interface_profiles(ds, 1.0)
    assert len(figure.axes) == 4 and "planar (not grid-converged)" in figure.axes[0].get_title()


def test_sweep_figure_has_a_heatmap_column_per_height():
    cases = cases_from_config(
        {**load_config(REPO / "config/config.yaml"), "designs": {}}
        | {"sweeps": {"array": {**load_config(REPO / "config/config.yaml")["sweeps"]["pillar_array"], "enabled": True}}}
    )
    levels = {name: [solved(name, level, 2000 * UM, stop=1.5 + level / 100) for level in range(3)] for name in cases}
    convergences = {name: analysed(levels[name], "c_mean", 1.0) for name in cases}
    results = {name: levels[name][0] for name in cases}
    ds = study.build({name: case.descriptors() for name, case in cases.items()}, convergences, results, {})
    grid = ds.set_index(case=["pillar_width", "pillar_pitch", "pillar_height"]).unstack("case")
    assert dict(grid.c_cv.sizes) == {"time": 2, "pillar_width": 3, "pillar_pitch": 2, "pillar_height": 2}
    figure = plots.sweep(ds, "array", 1.0)
    assert len([axis for axis in figure.axes if axis.get_title() == "height 75 um"]) == 2


def test_a_sweep_around_a_design_plots_its_metrics_against_the_swept_parameter():
    config = load_config(REPO / "config/studies/t-plus.yaml")
    cases = {
        name: case
        for name, case in cases_from_config(config).items()
        if name == "pillar" or case.design == "pillar_tplus"
    }
    assert sorted(case.physics.t_plus for case in cases.values()) == [0.2, 0.3, 0.4, 0.5, 0.6, 0.7]
    assert {case.base for case in cases.values()} == {"", "pillar"}
    assert len({case.shape.key for case in cases.values()}) == 1
    levels = {}
    for name, case in cases.items():
        levels[name] = [solved(name, level, 2300 * UM, stop=1.5 + case.physics.t_plus) for level in range(3)]
        for result in levels[name]:
            result.attrs["physics_t_plus"] = case.physics.t_plus
    convergences = {name: analysed(levels[name], "c_mean", 1.0) for name in cases}
    ds = study.build(
        {name: case.descriptors() for name, case in cases.items()},
        convergences,
        {n: levels[n][0] for n in cases},
        {},
    )
    figure = plots.sweep(ds, "pillar_tplus", 1.0)
    depletion = figure.axes[1]
    assert depletion.get_xlabel() == "t+ [-]" and depletion.get_ylabel().startswith("time to depletion [s]")
    np.testing.assert_allclose(depletion.lines[0].get_xdata(), [0.2, 0.3, 0.4, 0.5, 0.6, 0.7])  # with the design itself
    np.testing.assert_allclose(depletion.lines[0].get_ydata(), [1.7, 1.8, 1.9, 2.0, 2.1, 2.2])


def test_figures_of_a_stationary_study_have_no_time_axis(paper_study):
    steady = paper_study.isel(time=0, drop=True)
    assert "steady state" in plots.uniformity(steady)._suptitle.get_text()
    assert "steady state" in plots.interface_profiles(steady, None)._suptitle.get_text()


def ridge_and_cells() -> xr.Dataset:
    """A study of one 2D ridge (100 um wide) and two 3D cells of 100 um cylinders at the same
    pitch, one diverged, and a 3D cell of other pillars: values and relative bars set by hand."""
    cases = ["ridge", "square", "hexagonal", "narrow", "broken"]
    return xr.Dataset(
        {
            "status": ("case", ["depleted", "depleted", "depleted", "depleted", "diverged"]),
            "grid_status": ("case", ["converged", "converged", "not_converged", "converged", "converged"]),
            "depletion_time": ("case", [150.0, 160.0, 140.0, 200.0, 1.0]),
            "depletion_time_total_error": ("case", [0.01, 0.02, 0.05, 0.01, 0.01]),
            "c_cv": (("time", "case"), [[0.1, 0.2, 0.3, 0.4, 0.5], [0.5, 0.4, 0.6, 0.2, 0.5]]),
            "c_cv_total_error": (("time", "case"), [[0.1] * 5, [0.1, 0.05, 0.2, 0.1, 0.1]]),
        },
        coords={
            "case": cases,
            "time": [1.0, 100.0],
            "dimension": ("case", [2, 3, 3, 3, 3]),
            "lattice": ("case", ["", "square", "hexagonal", "square", "square"]),
            "pillar_width": ("case", [100 * UM, np.nan, np.nan, np.nan, np.nan]),
            "pillar_diameter": ("case", [np.nan, 100 * UM, 100 * UM, 50 * UM, 100 * UM]),
            "pillar_pitch": ("case", [400 * UM] * 5),
            "pillar_height": ("case", [150 * UM] * 5),
            "substrate_thickness": ("case", [37.5 * UM] * 5),
        },
    )


def test_each_cell_minus_its_ridge_carries_the_sum_of_both_bars():
    table = summary.ridge_cell_table(ridge_and_cells(), 100.0).set_index("cell")
    assert list(table.index) == ["square", "hexagonal"]  # not the other pillars, not the diverged cell
    square, hexagonal = table.loc["square"], table.loc["hexagonal"]
    assert (square.ridge, square.pillars_um, square.cv_time_s) == ("ridge", "100 / 400 / 150", 100.0)
    assert square.difference_depletion_time_s == pytest.approx(10.0)
    assert square.difference_depletion_time_error_s == pytest.approx(160 * 0.02 + 150 * 0.01)
    assert square.relative_difference_depletion_time == pytest.approx(10 / 150)
    assert square.relative_difference_depletion_time_error == pytest.approx((3.2 + 1.5) / 150)
    assert hexagonal.difference_c_cv == pytest.approx(0.1)
    assert hexagonal.difference_c_cv_error == pytest.approx(0.6 * 0.2 + 0.5 * 0.1)
    assert hexagonal.cell_grid_status == "not_converged"


def test_the_ridge_against_cell_figure_draws_every_bar_with_its_error():
    figure = plots.ridge_against_cell(ridge_and_cells(), 100.0)
    depletion, cv, difference, over_time = figure.axes[:4]
    assert sorted(patch.get_height() for patch in depletion.patches) == [140.0, 150.0, 160.0]
    bars = [segment for lines in depletion.collections for segment in lines.get_segments()]
    assert sorted(np.ptp(segment[:, 1]) / 2 for segment in bars) == pytest.approx([1.5, 3.2, 7.0])
    assert sorted(round(patch.get_height(), 9) for patch in difference.patches) == pytest.approx(
        [-20.0, -100 / 15, 100 / 15, 20.0]
    )
    assert difference.get_ylabel().endswith("[%]") and over_time.get_xscale() == "log"
    assert "not grid-converged (finest level used): hexagonal" in figure._suptitle.get_text()
