"""The tiny study through a real one-node SLURM on localhost (workflow/profiles/slurm).

Select it with ``pytest -m cluster``. It needs root (or a running SLURM): tests/cluster/start_slurm.sh
installs slurm-wlm and munge with apt-get when they are missing and starts the daemons, and
tests/cluster/stop_slurm.sh stops exactly those afterwards.
"""

import json
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import xarray as xr
import yaml
from conftest import REPO, TINY_SETTINGS

pytestmark = [pytest.mark.slow, pytest.mark.cluster]

CLUSTER_SCRIPTS = REPO / "tests" / "cluster"
CANNOT_RUN = 77
"""start_slurm.sh's exit status when this machine cannot run the daemons."""

RUN_TIMEOUT_S = 300
LOCAL_RULES = {"all", "cases", "mesh_report", "solve_report", "grid_convergence", "convergence", "convergence_report"}
"""The Snakefile's localrules: they run on the submitting host, not through sbatch."""
SNAKEMAKE = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile")]
LOCAL_PROFILE = ["--workflow-profile", str(REPO / "workflow/profiles/default")]
SLURM_PROFILE = ["--workflow-profile", str(REPO / "workflow/profiles/slurm")]

TINY = {
    "designs": {
        "planar": {"pillar_centres_um": []},
        "pillar": {"pillar_width_um": 100, "pillar_height_um": 150, "pillar_centres_um": [0]},
    },
    **TINY_SETTINGS,
}

MESH_OUTPUTS = [
    "results/geometries/*/geometry.*",
    "results/geometries/*/mesh/level*.msh",
    "results/geometries/*/mesh/level*.npz",
    "results/geometries/*/mesh/level*.json",
]
"""The geometry and mesh outputs (results/geometries/<key>/)."""


@pytest.fixture(scope="module")
def slurm_partition(tmp_path_factory):
    """A partition of a running one-node SLURM; the daemons this fixture started stop afterwards."""
    state = tmp_path_factory.mktemp("slurm_state")
    began = time.monotonic()
    start = subprocess.run(
        [str(CLUSTER_SCRIPTS / "start_slurm.sh"), str(state)], capture_output=True, text=True, timeout=600
    )
    print(start.stdout + start.stderr, f"cluster start: {time.monotonic() - began:.1f} s", sep="")
    try:
        if start.returncode == CANNOT_RUN:
            pytest.skip(start.stderr.strip().splitlines()[-1])
        assert start.returncode == 0, start.stdout + start.stderr
        yield (state / "partition").read_text().strip()
    finally:
        stop = subprocess.run(
            [str(CLUSTER_SCRIPTS / "stop_slurm.sh"), str(state)], capture_output=True, text=True, timeout=120
        )
        print(stop.stdout + stop.stderr)
        assert stop.returncode == 0, stop.stdout + stop.stderr


def test_slurm_study_equals_the_local_study(slurm_partition, tmp_path, record_property):
    """The study runs through sbatch with the real cluster profile and gives the local result.

    gmsh does not mesh reproducibly here: two runs of this config give meshes with different
    node orders and, at level 2, a few triangles more or less, and so studies that differ in the
    third or fourth significant digit. The comparison is therefore made in two SLURM runs side by side:
    - the solves onwards: a copy of the local run's directory with its geometry and meshes,
      where --forcerun solve re-runs every solve and all that follows on SLURM; its study.nc and
      summary.csv must equal the local ones;
    - the geometry and meshes: a fresh directory that builds the local run's mesh reports on
      SLURM; their triangle counts must agree with the local ones within 0.1 %.
    Both pass the test cluster's settings on top of the profile (:func:`cluster_settings`).
    """
    began = time.monotonic()
    local = tmp_path / "local"
    write_config(local)
    run = start_snakemake(local, *LOCAL_PROFILE, "--cores", "2")
    returncode, output = finish(run, local)
    assert returncode == 0, output[-3000:]
    local_s = time.monotonic() - began

    solves = tmp_path / "slurm_solves"
    shutil.copytree(local, solves, symlinks=True)
    for name in ("results/study.nc", "results/summary.csv"):
        (solves / name).unlink()
    meshes_before = {path: path.stat().st_mtime_ns for path in mesh_outputs(solves)}
    assert meshes_before, "the local run left no geometry or mesh outputs"

    meshes = tmp_path / "slurm_meshes"
    write_config(meshes)
    mesh_reports = sorted(str(path.relative_to(local)) for path in local.glob("results/geometries/*/mesh/level*.json"))
    assert mesh_reports

    settings = cluster_settings(slurm_partition)
    slurm_began = time.monotonic()
    runs = {
        solves: start_snakemake(solves, *SLURM_PROFILE, *settings, "--forcerun", "solve"),
        meshes: start_snakemake(meshes, *mesh_reports, *SLURM_PROFILE, *settings),
    }
    outputs = {}
    for directory, run in runs.items():
        returncode, outputs[directory] = finish(run, directory)
        assert returncode == 0, f"{directory.name}:\n" + outputs[directory][-3000:]
    slurm_s = time.monotonic() - slurm_began

    for directory in runs:
        assert_ran_on_slurm(directory, outputs[directory])
    assert {path: path.stat().st_mtime_ns for path in mesh_outputs(solves)} == meshes_before

    with xr.open_dataset(local / "results/study.nc") as expected, xr.open_dataset(solves / "results/study.nc") as study:
        xr.testing.assert_allclose(study, expected, rtol=1e-9, atol=0)
    pd.testing.assert_frame_equal(
        pd.read_csv(solves / "results/summary.csv"), pd.read_csv(local / "results/summary.csv"), rtol=1e-9
    )

    for report in mesh_reports:
        expected = json.loads((local / report).read_text())["triangles"]
        triangles = json.loads((meshes / report).read_text())["triangles"]
        assert abs(triangles - expected) <= 1e-3 * expected, (report, triangles, expected)

    total_s = time.monotonic() - began
    record_property("wall_s_local_run", round(local_s, 1))
    record_property("wall_s_slurm_runs", round(slurm_s, 1))
    record_property("wall_s_total", round(total_s, 1))
    print(f"\nwall time: local run {local_s:.0f} s, SLURM runs (side by side) {slurm_s:.0f} s, test {total_s:.0f} s")


POINTS = {
    "designs": {},
    "sweeps": {
        "points": {
            "pillar_width_um": [60, 80, 100, 120],
            "pillar_pitch_um": [400],
            "pillar_height_um": [150],
            "pillar_count": [2],
            "resolution": {"level": 0},
        }
    },
    **TINY_SETTINGS,
}
"""Four one-level sweep points: each one's geometry, mesh and solve form a group (sweep_point)."""


def test_a_sweep_point_is_one_scheduler_job_and_group_components_bundles_points(
    slurm_partition, tmp_path, record_property
):
    """The geometry, mesh and solve of a one-level point go to SLURM as one job, and
    --group-components sweep_point=2 puts two points in each: 4 points, 12 jobs, 2 sbatch calls."""
    began = time.monotonic()
    write_config(tmp_path, POINTS)
    targets = [f"results/points_w{width}_p400_h150_n2/solve/level0.nc" for width in (60, 80, 100, 120)]
    run = start_snakemake(
        tmp_path,
        *targets,
        *SLURM_PROFILE,
        *cluster_settings(slurm_partition),
        "--group-components",
        "sweep_point=2",
    )
    returncode, output = finish(run, tmp_path)
    assert returncode == 0, output[-3000:]
    assert all((tmp_path / target).stat().st_size > 0 for target in targets)
    job_ids = re.findall(r"has been submitted with SLURM jobid (\d+)", output)
    jobs = slurm_jobs(job_ids)
    assert len(job_ids) == 2, output[-3000:]
    assert {state for state, _ in jobs.values()} == {"COMPLETED"}, jobs
    assert all(comment.endswith("geometry_mesh_solve") for _, comment in jobs.values()), jobs
    assert output.count("Group job sweep_point") == 2 and output.count("rule solve:") == 4
    record_property("wall_s_grouped_points", round(time.monotonic() - began, 1))


def cluster_settings(partition: str) -> list[str]:
    """The test cluster's settings on top of the profile: its partition, squeue for the job states
    (no accounting daemon, so sacct fails) and a 2 s first status check (40 s by default, which
    would add ~40 s per job)."""
    return [
        "--slurm-status-command",
        "squeue",
        "--slurm-init-seconds-before-status-checks",
        "2",
        "--slurm-keep-successful-logs",
        "--default-resources",
        f"slurm_partition={partition}",
    ]


def slurm_jobs(job_ids: list[str]) -> dict[str, tuple[str, str]]:
    """SLURM's state and comment (the plugin writes the job's rule there) of each job."""
    listed = subprocess.run(
        ["squeue", "--states=all", "--noheader", "--jobs", ",".join(job_ids), "--format", "%i|%T|%k"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    return {job_id: (state, comment) for job_id, state, comment in (line.split("|", 2) for line in listed.splitlines())}


def write_config(directory: Path, config: dict = TINY) -> None:
    (directory / "config").mkdir(parents=True)
    (directory / "config" / "config.yaml").write_text(yaml.safe_dump(config))


def mesh_outputs(directory: Path) -> list[Path]:
    return [path for pattern in MESH_OUTPUTS for path in directory.glob(pattern) if path.is_file()]


def start_snakemake(directory: Path, *args: str) -> subprocess.Popen:
    """Snakemake in ``directory``, output to snakemake.out there. ``timeout`` sends SIGINT, not
    SIGTERM: a SLURM run stuck waiting for job states ignores SIGTERM, and on SIGINT it cancels
    its jobs (scancel) before it exits."""
    log = open(directory / "snakemake.out", "w")
    command = ["timeout", "-s", "INT", "-k", "60", str(RUN_TIMEOUT_S), *SNAKEMAKE, *args]
    with log:
        return subprocess.Popen(command, cwd=directory, stdout=log, stderr=subprocess.STDOUT)


def finish(run: subprocess.Popen, directory: Path) -> tuple[int, str]:
    """Wait for a run (``timeout`` ends it); a run still alive after that is interrupted here."""
    try:
        returncode = run.wait(timeout=RUN_TIMEOUT_S + 90)
    except subprocess.TimeoutExpired:
        run.send_signal(signal.SIGINT)
        try:
            run.wait(timeout=60)
        except subprocess.TimeoutExpired:
            run.kill()
            run.wait()
        returncode = None
    output = (directory / "snakemake.out").read_text()
    if returncode == 124 or returncode is None:
        pytest.fail(f"Snakemake in {directory.name} did not finish within {RUN_TIMEOUT_S} s:\n{output[-3000:]}")
    return returncode, output


def planned_rules(output: str) -> set[str]:
    """The rules of the 'Job stats' table that Snakemake prints before it starts, and the
    time_error jobs that the grid_convergence checkpoints add once they have run."""
    lines = output.splitlines()
    start = lines.index("Job stats:") + 3
    rules = set()
    for line in lines[start:]:
        if not line.strip() or line.split()[0] == "total":
            break
        rules.add(line.split()[0])
    return rules | ({"time_error"} if "grid_convergence" in rules else set())


def assert_ran_on_slurm(directory: Path, output: str) -> None:
    """Every job with something to run was an sbatch job: its SLURM job id is in Snakemake's
    output, SLURM lists it as COMPLETED with the job's rule in its comment, and its SLURM log
    exists. Only the local rules stay on the submit host."""
    job_ids = re.findall(r"has been submitted with SLURM jobid (\d+)", output)
    assert job_ids, f"{directory.name}: no job was submitted to SLURM:\n{output[-3000:]}"
    jobs = slurm_jobs(job_ids)
    states = {job_id: state for job_id, (state, _) in jobs.items()}
    rules = {re.sub(r"^rule_|_wildcards_.*$", "", comment) for _, comment in jobs.values()}
    assert states == dict.fromkeys(job_ids, "COMPLETED"), states
    assert rules == planned_rules(output) - LOCAL_RULES, (rules, planned_rules(output))
    logs = {path.stem for path in (directory / ".snakemake" / "slurm_logs").rglob("*.log")}
    assert set(job_ids) <= logs, set(job_ids) - logs
    print(f"{directory.name}: {len(job_ids)} SLURM jobs, rules {', '.join(sorted(rules))}")
