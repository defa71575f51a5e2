"""Rule geometry: build one cross-section in gmsh, write it (XAO keeps the physical groups)
and the numbers measured on it."""

import logging

import gmsh

from electrolyte3d import geometry, io
from electrolyte3d.config import Geometry

io.log_to(snakemake.log[0])
case_geometry = Geometry.from_params(snakemake.params.geometry)
logging.info("geometry %s: %s", snakemake.wildcards.geometry, case_geometry)
with geometry.gmsh_session():
    groups = geometry.build(case_geometry)
    numbers = {
        "geometry": snakemake.wildcards.geometry,
        "pillar_count": case_geometry.pillar_count,
        **geometry.measured_numbers(groups),
        **io.provenance(dict(snakemake.params.items())),
    }
    with io.atomic_path(snakemake.output.model) as partial:
        gmsh.write(partial)
io.write_json(numbers, snakemake.output.numbers)
logging.info("measured %s", numbers)
