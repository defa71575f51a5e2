"""Rule geometry: build one cross-section (2D) or unit cell (3D) in gmsh, write it (XAO keeps the
physical groups) and the numbers measured on it."""

import logging

import gmsh
from electrolyte3d import geometry, io
from electrolyte3d.shapes import shape_from_params

io.log_to(snakemake.log[0])
shape = shape_from_params(snakemake.params.geometry)
logging.info("geometry %s: %s", snakemake.wildcards.geometry, shape)
with geometry.gmsh_session():
    groups = shape.build()
    numbers = {
        "geometry": snakemake.wildcards.geometry,
        **shape.counts(),
        **geometry.measured_numbers(groups, shape.dimension),
        **io.provenance(dict(snakemake.params.items())),
    }
    with io.atomic_path(snakemake.output.model) as partial:
        gmsh.write(partial)
io.write_json(numbers, snakemake.output.numbers)
logging.info("measured %s", numbers)
