"""Rule time_error: the production level of a case solved again with the time tolerance times
and divided by the factor; the time-stepping error of every compared quantity (netCDF)."""

import logging
import os

os.environ["MKL_NUM_THREADS"] = str(snakemake.threads)  # before pypardiso loads MKL

import xarray as xr
from electrolyte3d import dataset, io, mesh_files, time_error
from electrolyte3d.cathode import problem_for
from electrolyte3d.parameters import Cathode, Physics
from electrolyte3d.settings import SolverSettings
from electrolyte3d.time_stepping import transient

io.log_to(snakemake.log[0])
case, level = snakemake.wildcards.case, int(snakemake.wildcards.level)
physics = Physics(**snakemake.params.physics)
settings = SolverSettings(**snakemake.params.solver)
factor = snakemake.params.time_error["tolerance_factor"]
production = xr.load_dataset(snakemake.input.result)
solves = {"production": production}
if settings.mode == "transient":
    electrolyte = mesh_files.load_part(snakemake.input.mesh)
    cathode_mesh = mesh_files.load_part(snakemake.input.electrode_mesh) if snakemake.params.cathode else None
    cathode = Cathode.from_params(snakemake.params.cathode) if snakemake.params.cathode else None
    for name, tolerance in time_error.settings_for(settings, factor).items():
        if name == "production":
            continue
        logging.info("case %s level %d: time_rtol %.3g (%s)", case, level, tolerance.time_rtol, name)
        problem = problem_for(electrolyte, physics, cathode_mesh, cathode)
        solution = transient(problem, tolerance, snakemake.params.report_times)
        logging.info(
            "status %s; %d steps, %d Newton iterations, %d factorisations, %.1f s",
            solution.status,
            solution.steps,
            solution.newton_iterations,
            solution.factorisations,
            solution.wall_time,
        )
        problem.release_linear_solvers()
        solves[name] = dataset.build(problem, solution, tolerance, {"case": case, "mesh_level": level})
else:
    solves.update(loose=production, tight=production)  # no time stepping: no time error
result = time_error.analyse(solves, factor)
result.attrs.update(io.provenance(dict(snakemake.params.items())))
logging.info("\n%s", result[["time_order", "time_error"]].to_dataframe().to_string())
with io.atomic_path(snakemake.output.time_error) as partial:
    result.to_netcdf(partial, format="NETCDF4", engine="netcdf4")
