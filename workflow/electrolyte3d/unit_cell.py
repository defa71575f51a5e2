"""The periodic unit cell of a 3D pillar array as a gmsh OpenCASCADE model with named physical
groups: the 3D counterpart of :mod:`electrolyte3d.geometry`.

The cell is a prism on its footprint (:attr:`electrolyte3d.shapes.UnitCell.footprint`, a triangle
between mirror planes; on the ridge "lattice" a rectangle). The electrolyte is the substrate
prism fused with the pillar's sector on the z axis (a half ridge along one side); the electrode
is the prism below with the pillar cut out. Fragmenting the two makes their shared faces (the
interface) one set of surfaces, so the mesh is conforming across it. Every side face of the cell
is a mirror plane of the array, insulating like the electrode's bottom.

Like the 2D sections, the model is built in micrometres (:data:`GMSH_LENGTH_UNIT`) and meshes are
written in metres.
"""

from __future__ import annotations

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
    thickness = cell.electrode_thickness / GMSH_LENGTH_UNIT

    electrolyte = add_core(cell, inset=0.0)
    electrode, _ = occ.cut([_prism(cell, -thickness, thickness)], electrolyte, removeTool=False)
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
    top = cell.substrate_thickness / GMSH_LENGTH_UNIT
    solid = [_prism(cell, inset, top - inset)]
    if cell.pillar_height > 0:
        solid, _ = gmsh.model.occ.fuse(solid, [_pillar(cell, inset)])
    return solid


def _prism(cell: UnitCell, bottom: float, height: float) -> tuple[int, int]:
    """The cell's footprint extruded from z = ``bottom`` by ``height`` (gmsh units)."""
    occ = gmsh.model.occ
    corners = [occ.addPoint(x / GMSH_LENGTH_UNIT, y / GMSH_LENGTH_UNIT, bottom) for x, y in cell.footprint]
    sides = [occ.addLine(start, end) for start, end in zip(corners, corners[1:] + corners[:1], strict=True)]
    base = occ.addPlaneSurface([occ.addCurveLoop(sides)])
    [volume] = [entity for entity in occ.extrude([(2, base)], 0.0, 0.0, height) if entity[0] == 3]
    return volume


def _pillar(cell: UnitCell, inset: float) -> tuple[int, int]:
    """The pillar's part in the cell, z in [-height + inset, inset], shrunk by ``inset`` (gmsh
    units) in radius: the sector of the cylinder on the z axis from the x axis (the half ridge,
    x in [0, width / 2 - inset], across the cell)."""
    occ = gmsh.model.occ
    height = cell.pillar_height / GMSH_LENGTH_UNIT
    half_width = cell.pillar_diameter / 2 / GMSH_LENGTH_UNIT - inset
    if cell.lattice == "ridge":
        depth = cell.ridge_depth / GMSH_LENGTH_UNIT
        return (3, occ.addBox(0.0, 0.0, -height + inset, half_width, depth, height))
    return (3, occ.addCylinder(0.0, 0.0, -height + inset, 0.0, 0.0, height, half_width, angle=cell.sector_angle))


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
