"""Rule solve: Li+ transport on one mesh level of a case (and Li intercalation in a cathode case's
electrode); interface results (netCDF) and fields (XDMF with netCDF4/HDF5 data)."""

import logging
import os

os.environ["MKL_NUM_THREADS"] = str(snakemake.threads)  # before pypardiso loads MKL

from electrolyte3d import dataset, fields, io, mesh_files
from electrolyte3d.cathode import problem_for
from electrolyte3d.parameters import Cathode, Physics
from electrolyte3d.settings import SolverSettings
from electrolyte3d.stationary import stationary
from electrolyte3d.time_stepping import transient

io.log_to(snakemake.log[0])
case, level = snakemake.wildcards.case, int(snakemake.wildcards.level)
physics = Physics(**snakemake.params.physics)
settings = SolverSettings(**snakemake.params.solver)
electrolyte = mesh_files.load_part(snakemake.input.mesh)
element_type = "tetrahedra" if electrolyte.dim() == 3 else "triangles"
logging.info(
    "case %s level %d: %d %s, %d nodes; %s; %s",
    case,
    level,
    electrolyte.nelements,
    element_type,
    electrolyte.nvertices,
    physics,
    settings,
)
cathode_mesh, cathode = None, None
if snakemake.params.cathode:
    cathode_mesh = mesh_files.load_part(snakemake.input.electrode_mesh)
    cathode = Cathode.from_params(snakemake.params.cathode)
    logging.info("cathode: %d triangles, %d nodes", cathode_mesh.nelements, cathode_mesh.nvertices)
problem = problem_for(electrolyte, physics, cathode_mesh, cathode)
if settings.mode == "stationary":
    solution = stationary(problem, settings)
else:
    solution = transient(problem, settings, snakemake.params.report_times)
logging.info(
    "status %s (%s); %d steps, %d Newton iterations, %d factorisations, %.1f s",
    solution.status,
    solution.message or "no remark",
    solution.steps,
    solution.newton_iterations,
    solution.factorisations,
    solution.wall_time,
)
problem.release_linear_solvers()
metadata = {"case": case, "mesh_level": level, element_type: electrolyte.nelements}
result = dataset.build(problem, solution, settings, metadata)
warning = dataset.resolution_warning(result)
if warning:
    logging.warning(warning)
    result.attrs["warning"] = warning
result.attrs.update(io.provenance(dict(snakemake.params.items())))
dataset.write_netcdf(result, snakemake.output.result)
fields.write_fields(problem, solution, snakemake.output.fields, snakemake.output.field_data)
