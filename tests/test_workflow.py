"""Snakemake: lint, the planned jobs, clear config errors, and (slow) a small study end to end."""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml
from conftest import REPO, TINY_SETTINGS

SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def snakemake(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*SNAKEMAKE, "--snakefile", str(REPO / "Snakefile"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )


def planned_jobs(output: str) -> dict[str, int]:
    """The 'Job stats' table of a dry run, as {rule: count}."""
    lines = output.splitlines()
    start = lines.index("Job stats:") + 3
    jobs = {}
    for line in lines[start:]:
        rule, count = line.split()
        if rule == "total":
            return jobs
        jobs[rule] = int(count)
    raise AssertionError(output)


def test_lint_is_clean():
    result = snakemake("--lint")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Lints for" not in result.stdout + result.stderr


def test_every_rule_declares_threads_memory_and_runtime():
    """So a scheduler (SLURM) or --cores/--resources can pack jobs without oversubscription."""
    for path in (REPO / "workflow" / "rules").glob("*.smk"):
        for block in re.split(r"(?m)^(?=rule )", path.read_text())[1:]:
            name = block.split(":")[0].removeprefix("rule ")
            for declaration in ("threads: ", "mem_mb=", "runtime="):
                assert declaration in block, f"{path.name}: rule {name} lacks {declaration}"


def test_default_config_plans_geometry_mesh_ladder_and_reports(tmp_path):
    shutil.copytree(REPO / "config", tmp_path / "config")
    result = snakemake("--dry-run", "--cores", "1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    # 3 anode and 4 cathode cases; the cathode cases of each D_cathode share a geometry. Each grid
    # study starts with 3 levels; whether it adds more is decided by its checkpoint.
    assert planned_jobs(result.stdout) == {
        "cases": 1,
        "geometry": 5,
        "mesh": 5 * 3,
        "mesh_preview": 5,
        "mesh_report": 1,
        "solve": 7 * 3,
        "solve_report": 1,
        "grid_convergence": 7,
        "convergence": 7,
        "convergence_plot": 7,
        "convergence_report": 1,
        "collect": 1,
        "plots": 1,
        "cathode_plot": 1,
        "field_snapshot": 7,
        "all": 1,
    }


def test_a_study_file_replaces_the_default_study(tmp_path):
    study = tmp_path / "solo.yaml"
    study.write_text(
        "designs:\n  solo:\n    pillar_centres_um: []\n"
        "physics: {D_plus: 1.0e-12, D_unit: m2/s, exchange_current_density_A_m2: 1.0}\nmesh:\n  max_levels: 3\n"
    )
    result = snakemake("--dry-run", "--cores", "1", "--configfile", str(study), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert planned_jobs(result.stdout) == {
        "cases": 1,
        "geometry": 1,
        "mesh": 3,
        "mesh_preview": 1,
        "mesh_report": 1,
        "solve": 3,
        "solve_report": 1,
        "grid_convergence": 1,
        "convergence": 1,
        "convergence_plot": 1,
        "convergence_report": 1,
        "collect": 1,
        "plots": 1,
        "field_snapshot": 1,
        "all": 1,
    }


@pytest.mark.parametrize("study", sorted((REPO / "config" / "studies").glob("*.yaml")), ids=lambda path: path.stem)
def test_every_ready_made_study_plans_its_cases(study, tmp_path):
    run = snakemake("results/cases.csv", "--cores", "1", "--configfile", str(study), cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    cases = pd.read_csv(tmp_path / "results" / "cases.csv")
    assert len(cases) >= 2 and (cases["status"] == "planned").all()
    planned = planned_jobs(snakemake("--dry-run", "--cores", "1", "--configfile", str(study), cwd=tmp_path).stdout)
    # the first 3 levels of every grid study; a point borrowing a reference's level waits for its grid study
    first_solves = cases["resolution"].map(
        lambda resolution: 3 if resolution == "ladder" else 0 if resolution.startswith("from") else 1
    ) * cases["resolution"].map(lambda resolution: 2 if resolution.startswith("level") and "check" in resolution else 1)
    assert planned["solve"] == first_solves.sum()
    assert planned["geometry"] == cases.loc[~cases["resolution"].str.startswith("from"), "geometry"].nunique()


def test_invalid_config_stops_before_any_job_with_one_clear_line(tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text(
        "designs:\n  tall:\n    pillar_width_um: 100\n    pillar_height_um: 500\n    pillar_centres_um: [0]\n"
    )
    result = snakemake("--dry-run", "--cores", "1", cwd=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert (
        "invalid configuration: case 'tall': pillar_height_um = 500 must be less than "
        "electrode_thickness_um = 450" in output
    )
    assert "Traceback" not in output
    assert not (tmp_path / "results").exists()


TINY = {
    "designs": {"planar": {"pillar_centres_um": []}},
    "sweeps": {
        "grid": {
            "pillar_width_um": [100],
            "pillar_pitch_um": [400],
            "pillar_height_um": [150],
            "pillar_count": [2],
        },
        "borrowing": {
            "pillar_width_um": [100],
            "pillar_pitch_um": [500],
            "pillar_height_um": [150],
            "pillar_count": [2],
            "resolution": {"from": "planar", "check_coarser": True},
        },
    },
    **TINY_SETTINGS,
    "convergence": {"tolerance": 0.015},
}
"""On the tiny ladder the planar film's mean c changes by 1.2 % and 1.8 % per level and the
pillars' by 0.8 % and 1.1 %: the pillars' grid study passes on 3 levels (production level 0), the
film's stops at the cap max_levels = 3 (production level 2), and the borrowing point is solved on
the film's levels 1 and 2."""


PROFILE = ("--workflow-profile", str(REPO / "workflow/profiles/default"))
TINY_LADDERS = ["planar", "grid_w100_p400_h150_n2"]
TINY_CASES = [*TINY_LADDERS, "borrowing_w100_p500_h150_n2"]
TINY_LEVELS = {"planar": [0, 1, 2], "grid_w100_p400_h150_n2": [0, 1, 2], "borrowing_w100_p500_h150_n2": [1, 2]}


@pytest.fixture(scope="module")
def tiny_study(tmp_path_factory) -> Path:
    """A directory where the tiny study ran uninterrupted (shared: the tests below only read it
    or work on copies)."""
    directory = tmp_path_factory.mktemp("tiny")
    (directory / "config").mkdir()
    (directory / "config" / "config.yaml").write_text(yaml.safe_dump(TINY))
    result = snakemake(*PROFILE, "--cores", "2", cwd=directory)
    assert result.returncode == 0, result.stderr[-3000:]
    return directory


@pytest.mark.slow
def test_tiny_study_runs_end_to_end(tiny_study):
    tmp_path = tiny_study
    results = tmp_path / "results"
    cases = TINY_CASES
    planned = pd.read_csv(results / "cases.csv").set_index("case")
    assert sorted(planned.index) == sorted(cases) and (planned["status"] == "planned").all()
    assert planned.loc["borrowing_w100_p500_h150_n2", "resolution"] == "from planar, check_coarser"
    for case in cases:
        geometry = results / "geometries" / planned.loc[case, "geometry"]
        levels = TINY_LEVELS[case]
        assert sorted(path.name for path in (geometry / "mesh").glob("level*.msh")) == [
            f"level{level}.msh" for level in levels
        ]
        # gmsh's output is in the job's log once: the model read once, meshed, and the electrode
        # meshed again without the electrolyte layer's nodes on its sides (mesh.generate)
        mesh_log = (results / "logs" / "mesh" / f"{geometry.name}_level{levels[0]}.log").read_text()
        assert mesh_log.count("geometry.xao'...") == 1 and mesh_log.count("Done meshing 2D") == 2
        assert sorted(path.name for path in (results / case / "solve").glob("level*.nc")) == sorted(
            name for level in levels for name in (f"level{level}.nc", f"level{level}.fields.nc")
        )
        for level in levels:
            with xr.open_dataset(results / case / "solve" / f"level{level}.nc") as solved:
                assert solved.attrs["status"] == "completed"
                np.testing.assert_allclose(solved.time, [0, 1, 10**0.5, 10])
                assert solved.c_interface.attrs["units"] == "mol m-3"
            assert (results / case / "solve" / f"level{level}.xdmf").stat().st_size > 0
            assert (results / case / "solve" / f"level{level}.fields.nc").stat().st_size > 0
        assert " newton " in (results / "logs" / "solve" / f"{case}_level{levels[0]}.log").read_text()
    for case in TINY_LADDERS:
        geometry = results / "geometries" / planned.loc[case, "geometry"]
        assert (geometry / "mesh" / "preview.png").stat().st_size > 0
    assert not (results / "geometries" / planned.loc[TINY_CASES[2], "geometry"] / "mesh" / "preview.png").exists()
    # one grid study of 3 levels each: the pillars' passed, the film's stopped at the cap
    assert sorted(path.name for path in results.glob("*/grid_study/*.nc")) == ["levels3.nc", "levels3.nc"]
    with xr.open_dataset(results / "planar" / "convergence.nc") as film:
        assert (film.attrs["ladder_stop"], film.attrs["production_level"]) == ("max_levels", 2)
    with xr.open_dataset(results / "grid_w100_p400_h150_n2" / "convergence.nc") as pillars:
        assert (pillars.attrs["ladder_stop"], pillars.attrs["production_level"]) == ("passed", 0)
    assert not list(results.rglob("*.partial*"))
    solves = pd.read_csv(results / "solve_report.csv")
    assert len(solves) == 3 + 3 + 2 and (solves["max_charge_imbalance"] < 1e-8).all()
    table = pd.read_csv(results / "mesh_report.csv")
    assert sorted(table["cases"].unique()) == sorted(cases)
    assert (table.groupby("geometry")["triangles"].apply(lambda n: n.is_monotonic_increasing)).all()
    assert (table["mesh_wall_s"] > 0).all()

    check_study_outputs(results, TINY_LADDERS, borrowing=TINY_CASES[2])
    report = snakemake("--report", str(tmp_path / "report.html"), cwd=tmp_path)
    assert report.returncode == 0, report.stderr[-3000:]
    assert (tmp_path / "report.html").stat().st_size > 0

    nothing_to_do = snakemake("--dry-run", "--cores", "1", cwd=tmp_path)
    assert "Nothing to be done" in nothing_to_do.stdout + nothing_to_do.stderr


AGGREGATES = {"convergence_report": 1, "collect": 1, "plots": 1, "sweep_plot": 2, "field_snapshot": 1, "all": 1}
REPORTS = {"mesh_report": 1, "solve_report": 1}
NEW_CASE = {"cases": 1, "mesh_preview": 1, "solve": 3, **REPORTS}
NEW_LADDER = {"grid_convergence": 1, "convergence": 1, "convergence_plot": 1, **AGGREGATES}
"""A dry run lists a grid study's first 3 levels and its first checkpoint; no time_error job and
no further level until that checkpoint has run, and no solve of a point whose level a grid study
still has to choose."""
CONFIG_EDITS = {
    "one pillar pitch (the borrowing point's geometry: only level 0 is new)": (
        {"sweeps": {"grid": {"pillar_pitch_um": [500]}}},
        {**NEW_CASE, "mesh": 1, **NEW_LADDER},
    ),
    "a sweep point added": (
        {"sweeps": {"grid": {"pillar_pitch_um": [400, 600]}}},
        {**NEW_CASE, "geometry": 1, "mesh": 3, **NEW_LADDER},
    ),
    "Newton tolerance (the borrowing point's solves wait for the film's grid study)": (
        {"solver": {"newton_rtol": 1.0e-6}},
        {"solve": 6, **REPORTS, "grid_convergence": 2, "convergence": 2, "convergence_plot": 2, **AGGREGATES},
    ),
    "grid-convergence tolerance": (
        {"convergence": {"tolerance": 0.5}},
        {**REPORTS, "grid_convergence": 2, "convergence": 2, "convergence_plot": 2, **AGGREGATES},
    ),
    "time-error tolerance factor": (
        {"convergence": {"time_tolerance_factor": 4}},
        {"time_error": 2, "convergence": 2, "convergence_plot": 2, **AGGREGATES},
    ),
    "figure resolution": (
        {"plots": {"dpi": 100}},
        {"convergence_plot": 2, "plots": 1, "sweep_plot": 2, "field_snapshot": 1, "all": 1},
    ),
    "max_levels raised (a level for the film only: the pillars' ladder passed)": (
        {"mesh": {"max_levels": 4}},
        {
            "mesh": 1,
            "solve": 1,
            **REPORTS,
            "grid_convergence": 1,
            "convergence": 2,
            "convergence_plot": 2,
            **AGGREGATES,
        },
    ),
    "a diffusivity axis (same geometry, no remeshing)": (
        {"sweeps": {"grid": {"D_plus": [6.6e-10, 1.0e-9]}}},
        {
            "cases": 1,
            "solve": 6,
            **REPORTS,
            "grid_convergence": 2,
            "convergence": 2,
            "convergence_plot": 2,
            **AGGREGATES,
        },
    ),
    "a sweep's resolution (only its point is solved, on the new reference's level 0)": (
        {"sweeps": {"borrowing": {"resolution": {"from": "grid_w100_p400_h150_n2", "check_coarser": False}}}},
        {
            "cases": 1,
            "mesh": 1,
            "solve": 1,
            **REPORTS,
            "collect": 1,
            "plots": 1,
            "sweep_plot": 2,
            "field_snapshot": 1,
            "all": 1,
        },
    ),
}


def edited(config: dict, edit: dict) -> dict:
    merged = dict(config)
    for key, value in edit.items():
        merged[key] = edited(config.get(key, {}), value) if isinstance(value, dict) else value
    return merged


@pytest.mark.slow
@pytest.mark.parametrize("edit", CONFIG_EDITS, ids=lambda name: name.replace(" ", "-"))
def test_a_config_edit_reruns_exactly_the_jobs_that_depend_on_it(tiny_study, tmp_path, edit):
    change, expected = CONFIG_EDITS[edit]
    config_path = tmp_path / "edited.yaml"
    config_path.write_text(yaml.safe_dump(edited(TINY, change)))
    plan = snakemake("--dry-run", "--cores", "1", "--configfile", str(config_path), cwd=tiny_study)
    assert plan.returncode == 0, plan.stderr[-3000:]
    assert planned_jobs(plan.stdout) == expected


@pytest.mark.slow
def test_a_reference_whose_production_level_moves_reruns_exactly_the_points_that_borrow_it(tiny_study, tmp_path):
    """A looser tolerance passes the film's ladder on level 0: its grid study reruns (a checkpoint),
    the point that borrows the film's level is solved on level 0, and no other solve runs."""
    work = tmp_path / "study"
    shutil.copytree(tiny_study, work, symlinks=True)
    results = work / "results"
    kept = {path: path.stat().st_mtime_ns for path in results.glob("*/solve/level*.nc")}
    config_path = tmp_path / "looser.yaml"
    config_path.write_text(yaml.safe_dump(edited(TINY, {"convergence": {"tolerance": 0.02}})))
    run = snakemake(*PROFILE, "--cores", "2", "--configfile", str(config_path), cwd=work)
    assert run.returncode == 0, run.stderr[-3000:]
    assert all(path.stat().st_mtime_ns == mtime for path, mtime in kept.items())
    new = sorted(str(path.relative_to(results)) for path in results.glob("*/solve/level*.nc") if path not in kept)
    assert new == ["borrowing_w100_p500_h150_n2/solve/level0.fields.nc", "borrowing_w100_p500_h150_n2/solve/level0.nc"]
    with xr.open_dataset(results / "study.nc") as study:
        assert study.production_level.sel(case=["planar", "borrowing_w100_p500_h150_n2"]).values.tolist() == [0, 0]
        assert str(study.coarser_check.sel(case="borrowing_w100_p500_h150_n2").values) == "not_checked"


def check_study_outputs(results: Path, cases: list[str], borrowing: str | None = None) -> None:
    """Convergence per case with a grid study (``cases``), the study dataset with its case
    coordinates and units (and the one-level case ``borrowing`` with its borrowed bars), the
    summary table and the figures."""
    for case in cases:
        with xr.open_dataset(results / case / "convergence.nc") as convergence:
            assert set(convergence.dims) == {"level", "quantity"}
            assert convergence.sizes["level"] == 3
            assert convergence.attrs["grid_status"] in ("converged", "not_converged")
            kinds = convergence.gci_kind.values
            assert set(kinds) <= {"monotonic", "oscillatory", "divergent", "grid_independent"}
            converging = np.isin(kinds, ["monotonic", "oscillatory"])
            assert np.isfinite(convergence.gci_fine.values[converging]).all()
            assert np.isnan(convergence.gci_fine.values[kinds == "divergent"]).all()
            assert set(convergence.gci_rule.values) <= {"observed_order", "formal_order_or_range", "range", "none"}
        assert (results / case / "convergence.png").stat().st_size > 0
    every_case = [*cases, *([borrowing] if borrowing else [])]
    with xr.open_dataset(results / "study.nc") as study:
        assert dict(study.sizes) == {"case": len(every_case), "time": 3, "s_norm": 401}
        assert sorted(study.case.values) == sorted(every_case)
        swept = study.sel(case=cases[1])
        assert float(swept.pillar_pitch) == pytest.approx(400e-6) and int(swept.pillar_count) == 2
        assert str(swept.design.values) == "grid"
        for name in (
            "pillar_width",
            "pillar_height",
            "D_plus",
            "t_plus",
            "exchange_current_density",
            "current_density",
        ):
            assert study[name].dims == ("case",) and "units" in study[name].attrs, name
        for name, variable in study.data_vars.items():
            assert "long_name" in variable.attrs, name
            if variable.dtype.kind == "f":
                assert "units" in variable.attrs, name
        assert study.c_interface.dims == ("case", "time", "s_norm")
        assert study.c_interface.attrs["units"] == "mol m-3"
        own = study.sel(case=cases)
        assert own.production_level.values.tolist() == [
            xr.open_dataset(results / case / "convergence.nc").attrs["production_level"] for case in cases
        ]
        assert set(own.error_source.values) == {"own"}
        if borrowing:
            point = study.sel(case=borrowing)
            reference = study.sel(case=str(point.error_reference.values))
            assert str(point.error_source.values) == "borrowed"
            assert int(point.production_level) == int(reference.production_level)
            assert str(point.coarser_check.values) in ("within", "exceeds")
            assert np.isfinite(float(point.coarser_change))
            for part in ("grid", "time", "total"):
                np.testing.assert_array_equal(point[f"c_mean_{part}_error"], reference[f"c_mean_{part}_error"])
        assert len(study.attrs["config_sha256"]) == 64 and "scikit-fem" in study.attrs["package_versions"]
        assert study.attrs["common_time_s"] == 10
        assert study.set_index(case=["pillar_width", "pillar_pitch"]).unstack("case").c_cv.ndim == 3
    summary = pd.read_csv(results / "summary.csv")
    assert sorted(summary["case"]) == sorted(every_case)
    assert {"pillar_width_m", "D_plus_m2_s", "grid_status", "c_cv", "depletion_time_s", "error_source"} <= set(
        summary.columns
    )
    convergence_table = pd.read_csv(results / "convergence_report.csv")
    assert len(convergence_table) == 2 * 3 and convergence_table.groupby("case")["production"].sum().eq(1).all()
    assert "cases" in (results / "grid_independence.html").read_text()
    for picture in ("plots/interface_profiles.png", "plots/uniformity.png", "plots/sweep_grid.png", "planar/field.png"):
        assert (results / picture).stat().st_size > 0, picture


def running_solves(directory: Path) -> list[int]:
    """PIDs of the solve scripts that Snakemake runs in ``directory``."""
    pids = []
    for process in Path("/proc").glob("[0-9]*"):
        try:
            command = (process / "cmdline").read_bytes().decode(errors="replace")
            working_directory = (process / "cwd").resolve()
        except OSError:
            continue
        if ".solve.py" in command and working_directory == directory.resolve():
            pids.append(int(process.name))
    return pids


@pytest.mark.slow
def test_a_solve_killed_mid_run_costs_only_itself_and_resuming_gives_the_same_study(tiny_study, tmp_path):
    """Kill one solve with SIGKILL while it steps (as an out-of-memory kill would); the other
    jobs go on (keep-going), the killed solve leaves no output, and the resumed run recomputes
    only what is missing and ends with the dataset of the uninterrupted run. The meshes are
    reused from that run because gmsh's meshes differ by a few triangles from run to run."""
    work = tmp_path / "study"
    shutil.copytree(tiny_study, work, symlinks=True)
    results = work / "results"
    redo = [results / "planar" / "solve" / f"level{level}.nc" for level in (1, 2)]
    for path in redo:
        path.unlink()
        path.with_suffix(".xdmf").unlink()
        path.with_suffix(".fields.nc").unlink()
    for path in [results / "study.nc", *results.rglob("convergence.nc")]:
        path.unlink()
    kept = {path: path.stat().st_mtime_ns for path in results.glob("*/solve/level*.nc")}

    run = subprocess.Popen(
        [*SNAKEMAKE, "--snakefile", str(REPO / "Snakefile"), *PROFILE, "--cores", "1"],
        cwd=work,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 300
    killed = None
    while killed is None and time.monotonic() < deadline and run.poll() is None:
        logs = [results / "logs" / "solve" / f"planar_level{level}.log" for level in (1, 2)]
        stepping = [log for log in logs if log.exists() and " newton " in log.read_text()]
        pids = running_solves(work)
        if stepping and pids and any(not path.exists() for path in redo):
            os.kill(pids[0], signal.SIGKILL)
            killed = [path for path in redo if not path.exists()]
        time.sleep(0.05)
    output, _ = run.communicate(timeout=600)
    assert killed, "no solve was caught mid-run:\n" + output[-3000:]
    assert run.returncode != 0 and "Error in rule solve" in output
    missing = [path for path in redo if not path.exists()]
    assert missing and not list(results.rglob("*.partial*"))
    assert all(path.stat().st_mtime_ns == mtime for path, mtime in kept.items())

    resumed = snakemake(*PROFILE, "--cores", "2", cwd=work)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert (resumed.stdout + resumed.stderr).count("rule solve:") == len(missing), resumed.stderr
    assert all(path.stat().st_mtime_ns == mtime for path, mtime in kept.items())
    with (
        xr.open_dataset(tiny_study / "results" / "study.nc") as reference,
        xr.open_dataset(results / "study.nc") as study,
    ):
        xr.testing.assert_allclose(study, reference, rtol=1e-9, atol=0)


@pytest.mark.slow
def test_collect_refuses_a_result_made_with_other_parameters(tiny_study, tmp_path):
    work = tmp_path / "study"
    shutil.copytree(tiny_study, work, symlinks=True)
    with xr.open_dataset(work / "results" / "planar" / "convergence.nc") as convergence:
        production = convergence.attrs["production_level"]
    relative = f"results/planar/solve/level{production}.nc"
    result_path = work / relative
    stale = xr.load_dataset(result_path)
    stale.attrs["config_sha256"] = "0" * 64
    stale.to_netcdf(result_path)
    rerun = snakemake(*PROFILE, "--cores", "1", "results/study.nc", cwd=work)
    assert rerun.returncode != 0
    log = (work / "results" / "logs" / "collect.log").read_text()
    assert f"{relative} was made with other parameters than the current config" in log
    assert "StaleResultError" in log


CATHODE = {
    "study": "cathode",
    "geometry": {"electrode_length_um": 400, "electrode_thickness_um": 60},
    "designs": {
        "film": {"pillar_centres_um": []},
        "pillars": {"pillar_width_um": 40, "pillar_height_um": 30, "pillar_centres_um": [-100, 100]},
    },
    **TINY_SETTINGS,
}


@pytest.mark.slow
def test_cathode_study_runs_end_to_end_and_a_cathode_edit_reruns_only_solves(tmp_path):
    """A small cathode study (film and pillars on an intercalation cathode) through the whole
    pipeline: the cathode variables reach study.nc and summary.csv with units, the Li balance
    holds, the comparison figure is drawn; then a new D_cathode reruns the solves onwards and
    no geometry or mesh job (the study type and material are case fields, the mesh is shared)."""
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text(yaml.safe_dump(CATHODE))
    result = snakemake(*PROFILE, "--cores", "2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    results = tmp_path / "results"
    with xr.open_dataset(results / "study.nc") as study:
        assert list(study.study.values) == ["cathode", "cathode"]
        assert study.c_s_depth.dims == ("case", "time", "depth_norm") and study.c_s_depth.attrs["units"] == "mol m-3"
        for name in (
            "lithiation_cv",
            "lithiated_fraction",
            "lithiation_mean",
            "lithiation_interface",
            "lithium_gained",
        ):
            assert "units" in study[name].attrs and np.isfinite(study[name].sel(time=10)).all(), name
        assert (study.lithium_balance_error < 1e-8).all()
        assert study.D_cathode.values.tolist() == pytest.approx([5e-17, 5e-17])
        assert study.attrs["cathode_common_time_s"] == 10
    summary = pd.read_csv(results / "summary.csv")
    assert {"lithiation_cv", "lithiated_fraction", "saturation_time_s", "cathode_common_time_s"} <= set(summary.columns)
    assert (results / "plots" / "cathode.png").stat().st_size > 0
    with xr.open_dataset(results / "film" / "solve" / "level0.fields.nc") as fields:
        assert "c_s_0" in fields and fields["c_s_0"].dims == ("cathode_node",)

    config = tmp_path / "config" / "config.yaml"
    config.write_text(yaml.safe_dump(edited(CATHODE, {"physics": {"D_cathode_cm2_s": 5.0e-12}})))
    planned = planned_jobs(snakemake("--dry-run", "--cores", "1", cwd=tmp_path).stdout)
    assert planned == {
        "cases": 1,
        "solve": 6,
        "mesh_report": 1,
        "solve_report": 1,
        "grid_convergence": 2,
        "convergence": 2,
        "convergence_plot": 2,
        "convergence_report": 1,
        "collect": 1,
        "plots": 1,
        "cathode_plot": 1,
        "field_snapshot": 2,
        "all": 1,
    }


RIDGE_AND_CELL = {
    "geometry": {"electrode_length_um": 400, "electrode_thickness_um": 100, "substrate_thickness_um": 20},
    "designs": {
        "square": {
            "dimension": 3,
            "lattice": "square",
            "pillar_diameter_um": 100,
            "pillar_pitch_um": 400,
            "pillar_height_um": 40,
        },
    },
    # the ridge array's unit cell: one ridge in one pitch
    "sweeps": {
        "ridge": {"pillar_width_um": [100], "pillar_pitch_um": [400], "pillar_height_um": [40], "pillar_count": [1]}
    },
    **TINY_SETTINGS,
    "mesh": {
        **TINY_SETTINGS["mesh"],
        "cell": {
            "electrolyte_size_um": 40,
            "interface_size_um": 20,
            "rim_size_um": 10,
            "electrode_size_um": 100,
            # a prism layer of 5 rows on level 0: the rules, not the resolution, are under test
            "boundary_layer_first_um": 0.5,
            "boundary_layer_ratio": 1.5,
            "boundary_layer_thickness_um": 6,
        },
    },
}


RIDGE = "ridge_w100_p400_h40_n1"


RIDGE_AS_CELL = {
    "geometry": {"electrode_length_um": 200, "electrode_thickness_um": 100, "substrate_thickness_um": 20},
    "designs": {
        "slab": {
            "dimension": 3,
            "lattice": "ridge",
            "pillar_diameter_um": 40,
            "pillar_pitch_um": 200,
            "pillar_height_um": 40,
        },
    },
    "sweeps": {
        "ridge": {"pillar_width_um": [40], "pillar_pitch_um": [200], "pillar_height_um": [40], "pillar_count": [1]}
    },
    "physics": TINY_SETTINGS["physics"],
    "solver": {"end_time_s": 400, "report_first_s": 10, "report_count": 4},
    "mesh": {"cell": {"boundary_layer_thickness_um": 6}},
}
"""The ridge array's unit cell twice: as the 2D cross-section and as a 3D cell of the same ridge
(lattice ridge), on the default ladders (the 3D layer 6 um thick: it must be under half the
20 um film); both deplete within the run."""


@pytest.mark.slow
def test_a_3d_cell_of_the_ridge_reproduces_the_2d_ridge(tmp_path):
    """The 3D ridge cell's solution does not vary along the ridge, so it must give the 2D ridge's
    results (results/ridge_vs_cell.csv): the interface CV within the sum of the two cases' error
    bars (grid + time), and the time to depletion within 1 % (measured 0.3 %: 176.9 s against
    177.4 s on level 3; the 3D ladder's changes of 0.6 s per level are not yet in the asymptotic
    range there, so its depletion time has no GCI to compare with)."""
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text(yaml.safe_dump(RIDGE_AS_CELL))
    result = snakemake(*PROFILE, "--cores", "2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    [row] = pd.read_csv(tmp_path / "results" / "ridge_vs_cell.csv").to_dict("records")
    assert (row["cell"], row["lattice"], row["ridge"]) == ("slab", "ridge", "ridge_w40_p200_h40_n1")
    assert 0 < row["difference_c_cv_error"] < 0.1 * row["ridge_c_cv"], row
    assert abs(row["difference_c_cv"]) <= row["difference_c_cv_error"], row
    assert abs(row["relative_difference_depletion_time"]) < 0.01, row


@pytest.mark.slow
def test_a_3d_cell_runs_beside_a_2d_ridge_and_a_cell_size_edit_remeshes_only_the_cell(tmp_path):
    """A 2D ridge and a 3D square cell in one study: the cell's tetrahedral ladder and solves run
    through the same rules, study.nc holds both along `case` with their dimension, the 3D
    case's area-weighted metrics are filled (its arc-length profiles are NaN), the comparison
    figure is drawn; then editing a 3D mesh size plans the cell's meshes and solves, none of the ridge's."""
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text(yaml.safe_dump(RIDGE_AND_CELL))
    result = snakemake(*PROFILE, "--cores", "2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    results = tmp_path / "results"
    with xr.open_dataset(results / "study.nc") as study:
        assert study.dimension.values.tolist() == [3, 2]
        assert study.lattice.values.tolist() == ["square", ""]
        assert float(study.pillar_diameter.sel(case="square")) == pytest.approx(100e-6)
        assert np.isnan(float(study.pillar_diameter.sel(case=RIDGE)))
        cell = study.sel(case="square", time=10)
        assert 0 < float(cell.c_cv) < 1 and 0 < float(cell.c_within_10pct) <= 1
        assert (
            np.isnan(cell.c_interface.values).all()
            and np.isfinite(study.sel(case=RIDGE, time=10).c_interface.values).all()
        )
        # the triangle with 200 um legs and a 45 degree sector of the 100 um pillar, 40 um tall
        assert float(cell.interface_area) == pytest.approx(200e-6 * 200e-6 / 2 + np.pi * 100e-6 / 8 * 40e-6, rel=5e-3)
    with xr.open_dataset(results / "square" / "solve" / "level2.nc") as level:
        assert level.c_interface.dims == ("time", "interface_node")
        assert level.interface_node_area.attrs["units"] == "m2" and level.attrs["dimension"] == 3
        assert float(level.interface_node_area.sum()) == pytest.approx(level.attrs["interface_area_m2"], rel=1e-12)
        assert level.attrs["max_charge_imbalance"] < 1e-8
    assert "Tetrahedron" in (results / "square" / "solve" / "level2.xdmf").read_text()
    mesh_report = pd.read_csv(results / "mesh_report.csv")
    assert set(mesh_report["dimension"]) == {2, 3}
    assert (results / "plots" / "ridge_vs_cell.png").stat().st_size > 0
    assert not (results / "square" / "field.png").exists()

    config = tmp_path / "config" / "config.yaml"
    config.write_text(yaml.safe_dump(edited(RIDGE_AND_CELL, {"mesh": {"cell": {"interface_size_um": 15}}})))
    planned = planned_jobs(snakemake("--dry-run", "--cores", "1", cwd=tmp_path).stdout)
    assert planned == {
        "mesh": 3,
        "mesh_report": 1,
        "mesh_preview": 1,
        "solve": 3,
        "solve_report": 1,
        "grid_convergence": 1,
        "convergence": 1,
        "convergence_plot": 1,
        "convergence_report": 1,
        "collect": 1,
        "plots": 1,
        "ridge_vs_cell_plot": 1,
        "sweep_plot": 1,
        "all": 1,
    }
