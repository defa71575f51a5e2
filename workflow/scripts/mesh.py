"""Rule mesh: one level of a geometry's mesh ladder (triangles in 2D, tetrahedra in 3D), written
in metres with its quality report and its two parts as plain arrays."""

import logging

import gmsh
from electrolyte3d import io, mesh_files, mesh_quality
from electrolyte3d.geometry import ELECTRODE, ELECTROLYTE, gmsh_session
from electrolyte3d.shapes import shape_from_params

io.log_to(snakemake.log[0])
level = int(snakemake.wildcards.level)
with gmsh_session():
    gmsh.open(snakemake.input.model)
    shape = shape_from_params(snakemake.params.geometry)
    settings = shape.settings_type(**snakemake.params.mesh)
    logging.info(
        "geometry %s level %d (%dD): size factor %.4g, %s",
        snakemake.wildcards.geometry,
        level,
        shape.dimension,
        settings.size_factor(level),
        settings,
    )
    layer, lumped_mass = shape.mesh(settings, level, snakemake.params.electrode_solved)
    report = {
        "geometry": snakemake.wildcards.geometry,
        "level": level,
        "size_factor": settings.size_factor(level),
        **layer,
        **mesh_quality.report(),
        **io.provenance(dict(snakemake.params.items())),
    }
    with io.atomic_path(snakemake.output.mesh) as partial:
        mesh_files.write(partial)
whole = mesh_files.load(snakemake.output.mesh)
mesh_files.save_part(whole.restrict(ELECTROLYTE), ELECTROLYTE, snakemake.output.electrolyte, lumped_mass)
mesh_files.save_part(whole.restrict(ELECTRODE), ELECTRODE, snakemake.output.electrode)
io.write_json(report, snakemake.output.report)
logging.info("report %s", report)
