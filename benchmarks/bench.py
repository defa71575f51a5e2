"""Benchmarks of electrolyte3d (``make bench``): prints a table and writes results/bench/bench.csv.

1. Per mesh level of the pillar design: gmsh meshing, mesh load (.npz), assembly, linear solve
   (PARDISO phase 23 on a fixed pattern), Newton iterations and wall time per time step of a
   short transient run, peak RSS (each level in its own process).
2. The ratio of the wall time of one full Newton iteration (the transient run's wall time over
   its Newton iterations: assembly, solve, time stepping and error control) to a bare PARDISO
   refactorisation + solve (phases 22 + 33) of the same Jacobian, in the same process.
3. The default anode study end to end (``snakemake --cores 2`` from clean, in a scratch directory),
   and the Snakemake DAG build (``snakemake -n``) of a generated 10,000-point sweep solved on one
   level (its jobs per point and time per job), with the floor of that figure: a dry run of no
   jobs and of 20,000 trivial shell jobs.
4. The Jacobian and a Laplacian (one implicit diffusion step, K + M) of the finest level solved
   from scratch with SciPy's SuperLU and with PARDISO.
5. The time integrators side by side (results/bench/integrators.csv): each anode design of the
   default config on one mesh level, solved to depletion with the old integrator at its old
   setting (bdf2, time_rtol 1e-3) and with the variable-order one (bdf) at 1e-2, 1e-3 and the
   default 1e-4: steps, Newton iterations, factorisations, wall time, and the time error of the
   depletion time and of the mean interface c at the report times against bdf at 1e-7.
6. Sweeps at the verified resolution (results/bench/sweep.csv, sweep_points.csv and the kept
   results/bench/sweep_results): a 100-point width x pitch x height sweep of the p-3DSE material
   from clean with --cores 2, every point on the production level of the grid study of its
   reference (the narrowest gap), with the error bars it borrows; and the old way beside it, every
   point with its own grid study, on the grid's diagonal (5 points) and scaled to 100 points.
   Alone: ``benchmarks/bench.py --sweeps`` (about 40 minutes); the DAG of item 3 alone: ``--dag``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "workflow"))


def level_benchmark(level: int, end_time: float, superlu: bool) -> dict:
    """Items 1, 2 (and 4 with ``superlu``) for one level of the pillar design, in this process."""
    import numpy as np
    import scipy.sparse
    import scipy.sparse.linalg as sla
    from electrolyte3d import sparse
    from electrolyte3d.cases import cases_from_config
    from electrolyte3d.config import load_config
    from electrolyte3d.newton import Timer
    from electrolyte3d.problem import Problem
    from electrolyte3d.settings import MeshSettings, SolverSettings

    config = load_config(REPO / "config" / "config.yaml")
    case = cases_from_config(config)["pillar"]

    def build_and_mesh():
        case.shape.build()
        return case.shape.mesh(MeshSettings.from_config(config), level, case.shape.electrode_solved)

    electrolyte, triangles, meshing, loading = _meshed_electrolyte(build_and_mesh)

    started = time.perf_counter()
    problem = Problem(electrolyte, case.physics)
    setup = time.perf_counter() - started
    settings = SolverSettings.from_config(config)
    x = problem.initial_state(settings)
    history = -problem.split(x)[0] * 1e4
    assembly = _best(lambda: (problem.residual(x, 1e4, history), problem.jacobian(x, 1e4)), repeats=5)
    residual, jacobian = problem.residual(x, 1e4, history), problem.jacobian(x, 1e4)
    rhs = -residual[problem.free]
    direct = sparse.DirectSolver()
    direct.solve(jacobian, rhs)
    linear = _best(lambda: direct.solve(jacobian, rhs), repeats=3)
    bare = _bare_pardiso(jacobian, rhs)[0]

    problem.timer = Timer()
    solution, transient_wall = _short_transient(problem, settings, end_time)
    newton_wall = transient_wall / max(solution.newton_iterations, 1)
    row = {
        "level": level,
        "triangles": triangles,
        "electrolyte_triangles": electrolyte.nelements,
        "unknowns": 2 * problem.nodes,
        "jacobian_nnz": jacobian.nnz,
        "gmsh_meshing_s": meshing,
        "mesh_load_s": loading,
        "problem_setup_s": setup,
        "assembly_s": assembly,
        "linear_solve_s": linear,
        "pardiso_22_33_s": bare,
        "time_steps": solution.steps,
        "newton_per_step": solution.newton_iterations / max(solution.steps, 1),
        "wall_per_step_s": transient_wall / max(solution.steps, 1),
        "wall_per_newton_s": newton_wall,
        "newton_over_bare_pardiso": newton_wall / bare,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if superlu:
        # both from scratch: ordering, factorisation and solve
        row["superlu_jacobian_s"] = _best(lambda: sla.splu(jacobian.tocsc()).solve(rhs), repeats=1)
        row["pardiso_jacobian_s"] = _best(lambda: sparse.DirectSolver().solve(jacobian, rhs), repeats=1)
        row["pardiso_over_superlu_jacobian"] = row["pardiso_jacobian_s"] / row["superlu_jacobian_s"]
        laplace = (problem.laplace + scipy.sparse.diags(problem.lumped_mass)).tocsr()  # one implicit diffusion step
        ones = np.ones(problem.nodes)
        row["superlu_laplace_s"] = _best(lambda: sla.splu(laplace.tocsc()).solve(ones), repeats=1)
        row["pardiso_laplace_s"] = _best(lambda: sparse.DirectSolver().solve(laplace, ones), repeats=1)
        row["pardiso_over_superlu_laplace"] = row["pardiso_laplace_s"] / row["superlu_laplace_s"]
        row["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return row


def cell_level_benchmark(design: str, level: int, end_time: float) -> dict:
    """One level of a 3D unit cell of config/studies/pillars-3d.yaml in this process: meshing,
    the solve's setup, and a short transient's Newton iterations against bare PARDISO."""
    from electrolyte3d.cases import cases_from_config
    from electrolyte3d.config import load_config
    from electrolyte3d.problem import Problem
    from electrolyte3d.settings import SolverSettings, UnitCellMeshSettings

    config = load_config(REPO / "config" / "studies" / "pillars-3d.yaml")
    case = cases_from_config(config)[design]

    def build_and_mesh():
        case.shape.build()
        return case.shape.mesh(UnitCellMeshSettings.from_config(config), level, case.shape.electrode_solved)

    electrolyte, tetrahedra, meshing, _ = _meshed_electrolyte(build_and_mesh)

    started = time.perf_counter()
    problem = Problem(electrolyte, case.physics)
    setup = time.perf_counter() - started
    settings = SolverSettings.from_config(config)
    x = problem.initial_state(settings)
    jacobian = problem.jacobian(x, 1e4)
    rhs = -problem.residual(x, 1e4, -problem.split(x)[0] * 1e4)[problem.free]
    bare, pardiso_memory, direct = _bare_pardiso(jacobian, rhs)
    iterative = _ilu_gmres(jacobian, rhs, direct)
    solution, transient_wall = _short_transient(problem, settings, end_time)
    newton_wall = transient_wall / max(solution.newton_iterations, 1)
    return {
        "design": design,
        "level": level,
        "tetrahedra": tetrahedra,
        "electrolyte_tetrahedra": electrolyte.nelements,
        "unknowns": 2 * problem.nodes,
        "jacobian_nnz": jacobian.nnz,
        "gmsh_meshing_s": meshing,
        "problem_setup_s": setup,
        "pardiso_22_33_s": bare,
        "pardiso_memory_mb": pardiso_memory,
        **iterative,
        "newton_per_step": solution.newton_iterations / max(solution.steps, 1),
        "wall_per_newton_s": newton_wall,
        "newton_over_bare_pardiso": newton_wall / bare,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_cell_level(design: str, level: int, end_time: float, threads: int) -> dict:
    """:func:`cell_level_benchmark` in a fresh process with ``threads`` MKL threads."""
    environment = {**os.environ, "MKL_NUM_THREADS": str(threads), "OMP_NUM_THREADS": str(threads)}
    command = [sys.executable, __file__, "--one-cell", design, str(level), "--end-time", str(end_time)]
    output = subprocess.run(command, env=environment, check=True, capture_output=True, text=True).stdout
    return {**json.loads(output.splitlines()[-1]), "mkl_threads": threads}


def cells(end_time: float, levels: list[int] | None) -> None:
    """The 3D table: the square and hexagonal paper cells on 2 MKL threads, on ``levels`` or the
    levels every grid study starts with (ladder.MIN_LEVELS; config/studies/pillars-3d.yaml's
    memory cap stops these cells there), for the budget: under 5 s per Newton iteration and
    2 GiB at the finest level."""
    from electrolyte3d.ladder import MIN_LEVELS

    if levels is None:
        levels = range(MIN_LEVELS)
    rows = []
    for design in ("square", "hexagonal"):
        for level in levels:
            rows.append(run_cell_level(design, level, end_time, threads=2))
            print(f"{design} level {level} done", file=sys.stderr, flush=True)
    _write_table(rows, "bench_3d.csv")


def slab_depletion_time(physics, thickness: float, fraction: float) -> float:
    """When the finite slab's interface (flux in at 0, c0 held at the top) falls to ``fraction``
    c0: the cosine series of Crank, The Mathematics of Diffusion (1975), eigenvalues
    (2n + 1) pi / (2 L), solved for the time."""
    import numpy as np
    from scipy.optimize import brentq

    flux, diffusivity = physics.salt_consumed_per_charge * physics.current_density, physics.D_ambipolar
    eigenvalues = (2 * np.arange(20000) + 1) * np.pi / (2 * thickness)

    def drop(t):
        decay = np.exp(-diffusivity * eigenvalues**2 * t)
        return flux * thickness / diffusivity - np.sum(2 * flux / (diffusivity * thickness * eigenvalues**2) * decay)

    return brentq(lambda t: drop(t) - (1 - fraction) * physics.c0, 1e-3, 1e6)


def film_level_benchmark(level: int) -> dict:
    """The flat film of config/studies/film-3d-check.yaml as a 3D cell on the default 3D ladder:
    its depletion time on one level against the slab series, the spread of the interface c when
    it depletes, and the level's size and cost."""
    from electrolyte3d.cases import cases_from_config
    from electrolyte3d.config import load_config
    from electrolyte3d.problem import Problem
    from electrolyte3d.settings import SolverSettings, UnitCellMeshSettings
    from electrolyte3d.time_stepping import transient

    config = load_config(REPO / "config" / "studies" / "film-3d-check.yaml")
    case = cases_from_config(config)["film_3d"]
    layer = {}

    def build_and_mesh():
        case.shape.build()
        report, lumped_mass = case.shape.mesh(UnitCellMeshSettings.from_config(config), level, False)
        layer.update(report)
        return report, lumped_mass

    electrolyte, tetrahedra, meshing, _ = _meshed_electrolyte(build_and_mesh)
    settings = SolverSettings.from_config(config)
    problem = Problem(electrolyte, case.physics)
    started = time.perf_counter()
    solution = transient(problem, settings, [settings.end_time])
    solve = time.perf_counter() - started
    exact = slab_depletion_time(case.physics, case.shape.substrate_thickness, settings.depletion_fraction)
    c = problem.split(solution.snapshots[-1].x)[0][problem.interface_nodes]
    return {
        "level": level,
        "nodes": problem.nodes,
        "tetrahedra": tetrahedra,
        "layer_rows": layer["boundary_layer_layers"],
        "first_row_m": layer["boundary_layer_first_m"],
        "status": solution.status,
        "depletion_time_s": solution.event_time,
        "slab_series_s": exact,
        "error_pct": 100 * (solution.event_time / exact - 1),
        "interface_c_min": float(c.min()),
        "interface_c_max": float(c.max()),
        "newton_iterations": solution.newton_iterations,
        "mesh_s": meshing,
        "solve_s": solve,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def film(levels: list[int]) -> None:
    """The flat 3D film per level (each in its own process, 2 MKL threads): results/bench/film_3d.csv."""

    rows = []
    for level in levels:
        environment = {**os.environ, "MKL_NUM_THREADS": "2", "OMP_NUM_THREADS": "2"}
        command = [sys.executable, __file__, "--one-film", str(level)]
        output = subprocess.run(command, env=environment, check=True, capture_output=True, text=True).stdout
        rows.append(json.loads(output.splitlines()[-1]))
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    _write_table(rows, "film_3d.csv")


def _write_table(rows: list[dict], name: str) -> None:
    """The rows, with this machine and today's date, as results/bench/<name>, and printed."""
    import pandas as pd

    table = pd.DataFrame(rows).assign(
        machine=f"{platform.machine()} {os.cpu_count()} cores", date=time.strftime("%Y-%m-%d")
    )
    destination = REPO / "results" / "bench"
    destination.mkdir(parents=True, exist_ok=True)
    table.to_csv(destination / name, index=False)
    with pd.option_context("display.width", 200, "display.max_columns", None, "display.float_format", "{:.4g}".format):
        print(table.to_string(index=False))


def _meshed_electrolyte(build_and_mesh):
    """Run ``build_and_mesh`` (a model and its mesh; it returns the shape's ``mesh`` result) in a
    gmsh session, write the mesh and store its electrolyte part as the mesh rule does; the part
    loaded as the solve loads it, the model's element count of its own dimension (all parts),
    and the wall time of meshing and of loading, s."""
    import gmsh
    from electrolyte3d import mesh_files
    from electrolyte3d.geometry import ELECTROLYTE, gmsh_session

    scratch = Path(tempfile.mkdtemp(prefix="bench-"))
    started = time.perf_counter()
    with gmsh_session(log_to_terminal=False):
        _, lumped_mass = build_and_mesh()
        mesh_files.write(str(scratch / "mesh.msh"))
        dim = gmsh.model.getDimension()
        elements = int(
            sum(len(gmsh.model.mesh.getElements(dim, entity)[1][0]) for _, entity in gmsh.model.getEntities(dim))
        )
    meshing = time.perf_counter() - started
    mesh_files.save_part(
        mesh_files.part(str(scratch / "mesh.msh"), ELECTROLYTE),
        ELECTROLYTE,
        str(scratch / "electrolyte.npz"),
        lumped_mass,
    )
    started = time.perf_counter()
    electrolyte = mesh_files.load_part(str(scratch / "electrolyte.npz"))
    loading = time.perf_counter() - started
    shutil.rmtree(scratch)
    return electrolyte, elements, meshing, loading


def _short_transient(problem, settings, end_time: float):
    """The transient solve of ``problem`` up to ``end_time`` s, and its wall time, s."""
    import numpy as np
    from electrolyte3d.settings import SolverSettings
    from electrolyte3d.time_stepping import transient

    short = SolverSettings(**{**settings.as_params(), "end_time": end_time})
    started = time.perf_counter()
    solution = transient(problem, short, np.array([end_time]))
    return solution, time.perf_counter() - started


INTEGRATOR_RUNS = (("bdf2", 1e-3), ("bdf", 1e-2), ("bdf", 1e-3), ("bdf", 1e-4))
"""(integrator, time_rtol) of item 5: the old integrator at its old default, the new one at a
tolerance giving about the old error, at the old setting, and at its default."""


def integrator_benchmark(design: str, level: int) -> list[dict]:
    """Item 5 for one anode design of the default config on mesh ``level``, in this process."""
    from dataclasses import replace

    import numpy as np
    from electrolyte3d.cases import cases_from_config
    from electrolyte3d.config import load_config
    from electrolyte3d.problem import Problem
    from electrolyte3d.settings import MeshSettings, SolverSettings, report_times
    from electrolyte3d.time_stepping import transient

    config = load_config(REPO / "config" / "config.yaml")
    case = cases_from_config(config)[design]

    def build_and_mesh():
        case.shape.build()
        return case.shape.mesh(MeshSettings.from_config(config), level, case.shape.electrode_solved)

    electrolyte, _, _, _ = _meshed_electrolyte(build_and_mesh)
    settings, times = SolverSettings.from_config(config), np.array(report_times(config))

    def run(integrator: str, tolerance: float):
        problem = Problem(electrolyte, case.physics)
        solution = transient(problem, replace(settings, integrator=integrator, time_rtol=tolerance), times)
        problem.release_linear_solvers()
        c_mean = {
            snapshot.time: float(problem.split(snapshot.x)[0][problem.interface_nodes].mean())
            for snapshot in solution.snapshots
            if snapshot.scheduled
        }
        return solution, c_mean

    reference, reference_c = run("bdf", 1e-7)
    rows = []
    for integrator, tolerance in INTEGRATOR_RUNS:
        solution, c_mean = run(integrator, tolerance)
        shared = sorted(set(c_mean) & set(reference_c))
        rows.append(
            {
                "design": design,
                "level": level,
                "triangles": electrolyte.nelements,
                "integrator": integrator,
                "time_rtol": tolerance,
                "status": solution.status,
                "steps": solution.steps,
                "rejected_steps": solution.rejected_steps,
                "newton_iterations": solution.newton_iterations,
                "factorisations": solution.factorisations,
                "wall_s": solution.wall_time,
                "depletion_time_s": solution.event_time,
                "depletion_time_error": abs(solution.event_time - reference.event_time) / reference.event_time
                if solution.event_time and reference.event_time
                else float("nan"),
                "c_nodal_mean_error": max(
                    (abs(c_mean[t] - reference_c[t]) / reference_c[t] for t in shared), default=float("nan")
                ),
            }
        )
    return rows


def integrators(level: int) -> None:
    """Item 5 alone: each design in its own process (one MKL thread), results/bench/integrators.csv."""
    import pandas as pd

    rows = []
    for design in ("planar", "spiral", "pillar"):
        output = subprocess.run(
            [sys.executable, __file__, "--one-integrator", design, str(level)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "MKL_NUM_THREADS": "1"},
        )
        rows += json.loads(output.stdout.splitlines()[-1])
        print(f"integrators: {design} done", file=sys.stderr, flush=True)
    table = pd.DataFrame(rows)
    old = table[table.integrator == "bdf2"].set_index("design")
    table["wall_over_bdf2"] = table.wall_s / table.design.map(old.wall_s)
    table["depletion_time_error_over_bdf2"] = table.depletion_time_error / table.design.map(old.depletion_time_error)
    destination = REPO / "results" / "bench"
    destination.mkdir(parents=True, exist_ok=True)
    table.assign(machine=f"{platform.machine()} {os.cpu_count()} cores", date=time.strftime("%Y-%m-%d")).to_csv(
        destination / "integrators.csv", index=False
    )
    with pd.option_context("display.width", 250, "display.max_columns", None, "display.float_format", "{:.4g}".format):
        print(table.to_string(index=False))


def _best(action, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def _bare_pardiso(matrix, rhs) -> tuple[float, float, object]:
    """PARDISO phases 22 + 33 on ``matrix`` after its analysis (phase 11), best of three; its
    own peak memory report (MB: iparm 15, or 16 + 17 if larger) and the solution."""
    import numpy as np
    import pypardiso

    pardiso = pypardiso.PyPardisoSolver()
    b = np.asfortranarray(rhs)
    pardiso.set_phase(11)
    pardiso._call_pardiso(matrix, b)

    def refactor_and_solve():
        for phase in (22, 33):
            pardiso.set_phase(phase)
            pardiso._call_pardiso(matrix, b)

    seconds = _best(refactor_and_solve, repeats=3)
    pardiso.set_phase(33)
    solution = pardiso._call_pardiso(matrix, b)
    memory = max(pardiso.iparm[14], pardiso.iparm[15] + pardiso.iparm[16]) / 1024
    return seconds, memory, solution


def _ilu_gmres(matrix, rhs, direct) -> dict:
    """The same Newton matrix by restarted GMRES with an incomplete-LU preconditioner (scipy's
    SuperLU spilu, drop tolerance 1e-5, fill factor 20) after scaling each row by its largest
    entry (the salt and current rows differ by ten orders): time, iterations, the factor's
    nonzeros, and how far its answer is from PARDISO's."""
    import numpy as np
    import scipy.sparse as sp
    from scipy.sparse.linalg import LinearOperator, gmres, spilu

    rows = sp.diags(1 / abs(matrix).max(axis=1).toarray().ravel())
    scaled, b = (rows @ matrix).tocsc(), rows @ rhs
    started = time.perf_counter()
    try:
        factor = spilu(scaled, drop_tol=1e-5, fill_factor=20)
    except RuntimeError as error:
        return {"ilu_gmres_s": time.perf_counter() - started, "ilu_gmres_status": f"spilu failed: {error}"}
    iterations = []
    answer, info = gmres(
        scaled,
        b,
        M=LinearOperator(scaled.shape, factor.solve),
        rtol=1e-10,
        restart=100,
        maxiter=20,
        callback=iterations.append,
        callback_type="pr_norm",
    )
    return {
        "ilu_gmres_s": time.perf_counter() - started,
        "ilu_gmres_status": "converged" if info == 0 else f"not converged (info {info})",
        "ilu_gmres_iterations": len(iterations),
        "ilu_factor_nnz": factor.L.nnz + factor.U.nnz,
        "ilu_gmres_difference": float(np.linalg.norm(answer - direct) / np.linalg.norm(direct)),
    }


def run_level(level: int, end_time: float, superlu: bool) -> dict:
    """:func:`level_benchmark` in a fresh single-thread process, so peak RSS is per level."""
    environment = {**os.environ, "MKL_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    command = [sys.executable, __file__, "--one-level", str(level), "--end-time", str(end_time)]
    if superlu:
        command.append("--superlu")
    output = subprocess.run(command, env=environment, check=True, capture_output=True, text=True).stdout
    return json.loads(output.splitlines()[-1])


def snakemake(arguments: list[str], directory: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), *arguments],
        cwd=directory,
        check=True,
        capture_output=True,
        text=True,
    )
    return time.perf_counter() - started


def default_study_wall() -> float:
    """The default config's anode study (its three anode designs; the cathode designs, also in
    the default config, are left out so that the figure stays comparable with earlier runs)."""
    import yaml

    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    config["designs"] = {
        name: design for name, design in config["designs"].items() if design.get("study", config["study"]) == "anode"
    }
    with tempfile.TemporaryDirectory(prefix="bench-study-") as directory:
        (Path(directory) / "config").mkdir()
        (Path(directory) / "config" / "config.yaml").write_text(yaml.safe_dump(config))
        return snakemake(
            ["--workflow-profile", str(REPO / "workflow/profiles/default"), "--cores", "2"], Path(directory)
        )


def sweep_dag(cases: int, level: int = 2, batches: int = 1) -> dict:
    """``snakemake -n`` on a sweep of ``cases`` valid pillar arrays (width x pitch x height) solved on
    one level (``resolution: {level: 2}``, what a sweep at its verified resolution plans), with the
    default profile: its wall time, the jobs it plans and the time per job. With ``batches``, the
    first of that many batches (``--batch collect=1/<batches>``)."""
    batch = ["--batch", f"collect=1/{batches}"] if batches > 1 else []
    import yaml

    widths = [20 + 0.5 * index for index in range(100)]
    pitches = [200 + 2 * index for index in range(min(100, math.ceil(cases / 100)))]
    heights = [50 + 10 * index for index in range(math.ceil(cases / (len(widths) * len(pitches))))]
    sweep = {"pillar_width_um": widths, "pillar_pitch_um": pitches, "pillar_height_um": heights}
    config = {
        "designs": {},
        "sweeps": {"big": {**sweep, "resolution": {"level": level}}},
        "physics": {"D_plus": 6.6e-10, "charge_transfer_resistance_ohm": 435.3},
    }
    with tempfile.TemporaryDirectory(prefix="bench-dag-") as directory:
        (Path(directory) / "config").mkdir()
        (Path(directory) / "config" / "config.yaml").write_text(yaml.safe_dump(config))
        started = time.perf_counter()
        plan = subprocess.run(
            [
                sys.executable,
                "-m",
                "snakemake",
                "--snakefile",
                str(REPO / "Snakefile"),
                "--workflow-profile",
                str(REPO / "workflow/profiles/default"),
                "--dry-run",
                "--cores",
                "2",
                *batch,
            ],
            cwd=directory,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        seconds = time.perf_counter() - started
    jobs = int(next(line.split()[1] for line in plan.splitlines() if line.startswith("total ")))
    return {
        "dag_seconds_sweep": seconds,
        "sweep_cases": cases,
        "dag_batches": batches,
        "dag_jobs_sweep": jobs,
        "dag_jobs_per_case": jobs / cases,
        "dag_ms_per_job": 1e3 * seconds / jobs,
    }


P3DSE_SWEEP = {
    "pillar_width_um": [50, 75, 100, 125, 150],
    "pillar_pitch_um": [250, 300, 400, 500, 600],
    "pillar_height_um": [75, 100, 125, 150],
}
"""The 100-point sweep of item 6: width x pitch x height of regular arrays that fill the paper's
1400 um anode, p-3DSE material."""
P3DSE_REFERENCE = {"pillar_width_um": [150], "pillar_pitch_um": [250], "pillar_height_um": [150]}
"""Its reference: the narrowest gap (100 um), widest and tallest pillars, at the smallest pitch."""
P3DSE_REFERENCE_CASE = "reference_w150_p250_h150_n5"
SWEEP_TOLERANCE = 0.01
"""The acceptance criterion of the sweep's grid study: mean interface c within 1 % under further
refinement (the paper's 0.01 % is out of reach of the 2D ladder: README, Grid independence)."""


def p3dse_sweep_config(resolution, diagonal: bool = False) -> dict:
    """The p-3DSE sweep with its reference and the sweep's resolution; with ``diagonal``, only the
    grid's diagonal: the i-th width with the i-th pitch and the (i mod 4)-th height (5 points)."""
    sweep = {"physics": {"D_plus": 6.6e-10, "charge_transfer_resistance_ohm": 435.3}, "resolution": resolution}
    if diagonal:
        heights = P3DSE_SWEEP["pillar_height_um"]
        sweep["points"] = [
            {"pillar_width_um": width, "pillar_pitch_um": pitch, "pillar_height_um": heights[index % len(heights)]}
            for index, (width, pitch) in enumerate(
                zip(P3DSE_SWEEP["pillar_width_um"], P3DSE_SWEEP["pillar_pitch_um"], strict=True)
            )
        ]
    else:
        sweep.update(P3DSE_SWEEP)
    reference = {} if resolution == "ladder" else {"reference": {**P3DSE_REFERENCE, "physics": sweep["physics"]}}
    return {"designs": {}, "sweeps": {**reference, "sweep": sweep}, "convergence": {"tolerance": SWEEP_TOLERANCE}}


def run_study(config: dict, keep: Path | None = None) -> tuple[float, object]:
    """A study from clean with the default profile and --cores 2: its wall time and summary table."""
    import pandas as pd
    import yaml

    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as directory:
        (Path(directory) / "config").mkdir()
        (Path(directory) / "config" / "config.yaml").write_text(yaml.safe_dump(config))
        wall = snakemake(
            ["--workflow-profile", str(REPO / "workflow/profiles/default"), "--cores", "2"], Path(directory)
        )
        summary = pd.read_csv(Path(directory) / "results" / "summary.csv")
        if keep is not None:
            shutil.copytree(Path(directory) / "results", keep, dirs_exist_ok=True)
    return wall, summary


def sweeps() -> None:
    """Item 6 (results/bench/sweep.csv, sweep_points.csv): the 100-point p-3DSE sweep from clean at
    the production level of its reference's grid study, and the old way beside it (every point its
    own ladder, no reference) on the grid's diagonal (5 points), scaled to 100 points, as a ratio."""
    import pandas as pd

    destination = REPO / "results" / "bench"
    destination.mkdir(parents=True, exist_ok=True)
    verified = {"from": P3DSE_REFERENCE_CASE}
    wall, points = run_study(p3dse_sweep_config(verified), keep=destination / "sweep_results")
    points.to_csv(destination / "sweep_points.csv", index=False)
    print(f"100-point sweep: {wall:.0f} s", file=sys.stderr, flush=True)
    sample_ladders, ladders = run_study(p3dse_sweep_config("ladder", diagonal=True))
    swept = points[points["design"] == "sweep"]
    row = {
        "sweep_points": len(swept),
        "sweep_wall_s": wall,
        "production_level": int(swept["production_level"].iloc[0]),
        "reference_grid_status": points.loc[points["case"] == P3DSE_REFERENCE_CASE, "grid_status"].iloc[0],
        "criterion_tolerance": SWEEP_TOLERANCE,
        "c_mean_total_error_max": swept["c_mean_total_error"].max(),
        "depletion_time_total_error_max": swept.get("depletion_time_total_error", pd.Series([math.nan])).max(),
        "old_way_points": len(ladders),
        "old_way_points_wall_s": sample_ladders,
        "old_way_wall_s_for_100_points": sample_ladders * len(swept) / len(ladders),
        "old_way_over_verified": sample_ladders * len(swept) / len(ladders) / wall,
        "old_way_production_levels": " ".join(str(level) for level in ladders["production_level"]),
        "machine": f"{platform.machine()} {os.cpu_count()} cores",
        "date": time.strftime("%Y-%m-%d"),
    }
    pd.DataFrame([row]).to_csv(destination / "sweep.csv", index=False)
    print(pd.Series(row).to_string())


MINIMAL_WORKFLOW = """\
rule all:
    input: expand("out/{index}/second", index=range(config["count"]))
rule first:
    output: "out/{index}/first"
    shell: "touch {output}"
rule second:
    input: "out/{index}/first"
    output: "out/{index}/second"
    shell: "touch {output}"
"""


def minimal_dag_seconds(jobs: int) -> float:
    """``snakemake -n`` on a workflow of ``jobs`` trivial shell jobs, the floor of item 3's DAG time:
    with ``jobs`` = 0 it is Snakemake's fixed start-up cost on this machine (its executor plugins
    included), and the rise per job is the least any rule can cost."""
    with tempfile.TemporaryDirectory(prefix="bench-minimal-dag-") as directory:
        (Path(directory) / "Snakefile").write_text(MINIMAL_WORKFLOW)
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "snakemake",
                "--dry-run",
                "--quiet",
                "--cores",
                "1",
                "--config",
                f"count={jobs // 2}",
            ],
            cwd=directory,
            check=True,
            capture_output=True,
            text=True,
        )
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--levels", type=int, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--end-time", type=float, default=0.2, help="transient run per level, s")
    parser.add_argument("--sweep-cases", type=int, default=10_000)
    parser.add_argument("--skip-study", action="store_true", help="leave out item 3's whole-study run")
    parser.add_argument(
        "--cells", action="store_true", help="the 3D unit cells' table alone (results/bench/bench_3d.csv)"
    )
    parser.add_argument(
        "--cell-levels",
        type=int,
        nargs="+",
        help="with --cells: these levels (default: 0-2, the levels every grid study starts with)",
    )
    parser.add_argument("--one-level", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--one-cell", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--superlu", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--integrator-level", type=int, default=1, help="mesh level of item 5")
    parser.add_argument("--integrators", action="store_true", help="item 5 alone (results/bench/integrators.csv)")
    parser.add_argument("--one-integrator", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--sweeps", action="store_true", help="item 6 alone (results/bench/sweep.csv)")
    parser.add_argument("--dag", action="store_true", help="item 3's 10,000-point dry run alone")
    parser.add_argument("--dag-batches", type=int, default=1, help="with --dag: plan the first of N batches")
    parser.add_argument(
        "--film-3d", type=int, nargs="+", help="the flat 3D film on these levels against the slab series (film_3d.csv)"
    )
    parser.add_argument("--one-film", type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.one_film is not None:
        print(json.dumps(film_level_benchmark(arguments.one_film), default=float))
        return
    if arguments.film_3d:
        film(arguments.film_3d)
        return
    if arguments.dag:
        print(json.dumps(sweep_dag(arguments.sweep_cases, batches=arguments.dag_batches)))
        return
    if arguments.sweeps:
        sweeps()
        return
    if arguments.one_integrator is not None:
        design, level = arguments.one_integrator
        print(json.dumps(integrator_benchmark(design, int(level)), default=float))
        return
    if arguments.integrators:
        integrators(arguments.integrator_level)
        return
    if arguments.one_cell is not None:
        design, level = arguments.one_cell
        print(json.dumps(cell_level_benchmark(design, int(level), arguments.end_time), default=float))
        return
    if arguments.cells:
        cells(arguments.end_time, arguments.cell_levels)
        return
    if arguments.one_level is not None:
        print(json.dumps(level_benchmark(arguments.one_level, arguments.end_time, arguments.superlu), default=float))
        return

    import pandas as pd

    finest = max(arguments.levels)
    rows = []
    for level in arguments.levels:
        rows.append(run_level(level, arguments.end_time, superlu=level == finest))
        print(f"level {level} done", file=sys.stderr, flush=True)
    table = pd.DataFrame(rows)
    extra = {
        **sweep_dag(arguments.sweep_cases),
        "dag_seconds_no_jobs": minimal_dag_seconds(0),
        "dag_seconds_20000_trivial_jobs": minimal_dag_seconds(20_000),
    }
    if not arguments.skip_study:
        extra["default_study_wall_s"] = default_study_wall()
    integrators(arguments.integrator_level)
    sweeps()
    table = table.assign(
        **extra, machine=f"{platform.machine()} {os.cpu_count()} cores", date=time.strftime("%Y-%m-%d")
    )
    destination = REPO / "results" / "bench"
    destination.mkdir(parents=True, exist_ok=True)
    table.to_csv(destination / "bench.csv", index=False)
    with pd.option_context("display.width", 200, "display.max_columns", None, "display.float_format", "{:.4g}".format):
        print(table.T.to_string(header=False))


if __name__ == "__main__":
    main()
