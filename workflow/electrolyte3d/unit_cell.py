"""The periodic unit cell of a 3D pillar array as a gmsh OpenCASCADE model with named physical
groups: the 3D counterpart of :mod:`electrolyte3d.geometry`.

The electrolyte is the substrate box fused with the quarter cylinders of the pillars on the
cell's corners (on the ridge "lattice", a half ridge along one side); the electrode is the block
below with the pillars cut out. Fragmenting the two makes their shared faces (the interface) one
set of surfaces, so the mesh is conforming across it. Every side face of the cell is a mirror
plane of the array, insulating like the electrode's bottom.

Like the 2D sections, the model is built in micrometres (:data:`GMSH_LENGTH_UNIT`) and meshes are
written in metres.
"""

from __future__ import annotations

import math

import gmsh

from electrolyte3d.geometry import (
    ELECTRODE,
    ELECTROLYTE,
    GMSH_LENGTH_UNIT,
    INSULATION,
    INTERFACE,
    TOP,
    add_physical_groups,
)
from electrolyte3d.shapes import UnitCell

PHYSICAL_GROUPS_3D = {ELECTROLYTE: 3, ELECTRODE: 3, INTERFACE: 2, TOP: 2, INSULATION: 2}
"""Physical group names of a unit cell (the 2D names) and their dimension."""


def build(cell: UnitCell) -> dict[str, list[int]]:
    """Create the cell in the current gmsh session; return the entity tags of each physical group."""
    occ = gmsh.model.occ
    gmsh.model.add("electrolyte3d-cell")
    scale = 1 / GMSH_LENGTH_UNIT
    width, depth = (extent * scale for extent in cell.cell_size)
    thickness = cell.electrode_thickness * scale

    electrolyte = add_core(cell, inset=0.0)
    block = occ.addBox(0.0, 0.0, -thickness, width, depth, thickness)
    electrode, _ = occ.cut([(3, block)], electrolyte, removeTool=False)
    _, parents = occ.fragment(electrolyte, electrode)
    occ.synchronize()

    return name_groups(
        cell,
        sorted({tag for children in parents[: len(electrolyte)] for _, tag in children}),
        sorted({tag for children in parents[len(electrolyte) :] for _, tag in children}),
    )


def name_groups(cell: UnitCell, electrolyte: list[int], electrode: list[int]) -> dict[str, list[int]]:
    """Name the cell's volumes and their boundary as physical groups; return each group's tags."""
    top = cell.substrate_thickness / GMSH_LENGTH_UNIT
    return add_physical_groups(
        {ELECTROLYTE: electrolyte, ELECTRODE: electrode}, 3, lambda surface: _is_flat_at(2, surface, top)
    )


def add_core(cell: UnitCell, inset: float) -> list[tuple[int, int]]:
    """The electrolyte farther than ``inset`` (gmsh units) from the interface, as new volumes of
    the current model (with ``inset`` 0, the whole electrolyte): the substrate box above z = inset
    fused with the pillars shrunk by ``inset`` in radius and at the tip, up to z = inset.
    Fragmenting the cell's electrolyte with it leaves the layer the mesh ladder fills with prisms
    (:mod:`electrolyte3d.prism_layer`), ``inset`` thick along every interface face and square at
    the pillar rims."""
    occ = gmsh.model.occ
    scale = 1 / GMSH_LENGTH_UNIT
    width, depth = (extent * scale for extent in cell.cell_size)
    top = cell.substrate_thickness * scale
    solid = [(3, occ.addBox(0.0, 0.0, inset, width, depth, top - inset))]
    if cell.pillar_height > 0:
        solid += _half_ridge(cell, inset) if cell.lattice == "ridge" else _quarter_pillars(cell, inset)
        solid, _ = occ.fuse(solid[:1], solid[1:])
    return solid


def _quarter_pillars(cell: UnitCell, inset: float) -> list[tuple[int, int]]:
    """The quarter cylinders (z in [-height + inset, inset], radius less ``inset``) of the pillars
    on the cell's corners, each the quarter that lies inside the cell."""
    occ = gmsh.model.occ
    scale = 1 / GMSH_LENGTH_UNIT
    radius = cell.pillar_diameter / 2 * scale - inset
    height = cell.pillar_height * scale
    width, depth = (extent * scale for extent in cell.cell_size)
    pillars = []
    for x, y in cell.pillar_centres:
        x, y = x * scale, y * scale
        pillar = occ.addCylinder(x, y, -height + inset, 0.0, 0.0, height, radius, angle=math.pi / 2)
        # the quarter from the +x axis to the +y axis; a pillar on the far corner turns to face in
        if x > width / 2 or y > depth / 2:
            occ.rotate([(3, pillar)], x, y, 0.0, 0.0, 0.0, 1.0, math.pi)
        pillars.append((3, pillar))
    return pillars


def _half_ridge(cell: UnitCell, inset: float) -> list[tuple[int, int]]:
    """The half ridge (x in [0, width / 2 - inset], z in [-height + inset, inset]) across the cell."""
    scale = 1 / GMSH_LENGTH_UNIT
    height, depth = cell.pillar_height * scale, cell.cell_size[1] * scale
    half_width = cell.pillar_diameter / 2 * scale - inset
    return [(3, gmsh.model.occ.addBox(0.0, 0.0, -height + inset, half_width, depth, height))]


def _is_flat_at(dim: int, tag: int, z: float | None = None) -> bool:
    """Whether an entity lies in the plane at height ``z`` (None: in any one plane z = const): its
    bounding box, which OpenCASCADE pads by its 1e-7 tolerance, is flat there."""
    _, _, z_min, _, _, z_max = gmsh.model.getBoundingBox(dim, tag)
    z = z_min if z is None else z
    tolerance = 1e-6 * max(1.0, abs(z))
    return abs(z_min - z) < tolerance and abs(z_max - z) < tolerance


def rim_curves(groups: dict[str, list[int]]) -> list[int]:
    """Curve tags of the pillar rims: the horizontal curves (circular arcs; a ridge's lines) where
    a pillar mantle (an interface face that is not horizontal) meets the substrate underside (the
    root) or the pillar's end face (the tip). None for a flat film."""
    mantles = [(2, surface) for surface in groups[INTERFACE] if not _is_flat_at(2, surface)]
    if not mantles:
        return []
    edges = gmsh.model.getBoundary(mantles, combined=False, oriented=False)
    return sorted({tag for _, tag in edges if _is_flat_at(1, tag)})
