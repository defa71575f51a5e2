"""Rule mesh: one level of a geometry's mesh ladder, written in metres with its quality report."""

import logging

import gmsh

from electrolyte3d import io, mesh
from electrolyte3d.config import MeshSettings
from electrolyte3d.geometry import ELECTRODE, ELECTROLYTE, gmsh_session

io.log_to(snakemake.log[0])
settings = MeshSettings(**snakemake.params.mesh)
level = int(snakemake.wildcards.level)
logging.info("geometry %s level %d: size factor %.4g, %s", snakemake.wildcards.geometry, level, settings.size_factor(level), settings)
with gmsh_session():
    gmsh.open(snakemake.input.model)
    mesh.generate(settings, level, snakemake.params.electrode_solved)
    report = {
        "geometry": snakemake.wildcards.geometry,
        "level": level,
        "size_factor": settings.size_factor(level),
        **mesh.report(),
        **io.provenance(dict(snakemake.params.items())),
    }
    with io.atomic_path(snakemake.output.mesh) as partial:
        mesh.write(partial)
whole = mesh.load(snakemake.output.mesh)
for subdomain, path in ((ELECTROLYTE, snakemake.output.electrolyte), (ELECTRODE, snakemake.output.electrode)):
    mesh.save_part(whole.restrict(subdomain), subdomain, path)
io.write_json(report, snakemake.output.report)
logging.info("report %s", report)
