"""Rule geometry: build one cross-section (2D) or unit cell (3D) in gmsh, write it (XAO keeps the
physical groups) and the numbers measured on it."""

import logging

import gmsh
from electrolyte3d import geometry, io, unit_cell
from electrolyte3d.config import Geometry, UnitCell

io.log_to(snakemake.log[0])
params = snakemake.params.geometry
dimension = params.get("dimension", 2)
if dimension == 3:
    case_geometry, builder = UnitCell.from_params(params), unit_cell
    counts = {"dimension": 3, "lattice": case_geometry.lattice}
else:
    case_geometry, builder = Geometry.from_params(params), geometry
    counts = {"pillar_count": case_geometry.pillar_count}
logging.info("geometry %s: %s", snakemake.wildcards.geometry, case_geometry)
with geometry.gmsh_session():
    groups = builder.build(case_geometry)
    numbers = {
        "geometry": snakemake.wildcards.geometry,
        **counts,
        **geometry.measured_numbers(groups, dimension),
        **io.provenance(dict(snakemake.params.items())),
    }
    with io.atomic_path(snakemake.output.model) as partial:
        gmsh.write(partial)
io.write_json(numbers, snakemake.output.numbers)
logging.info("measured %s", numbers)
