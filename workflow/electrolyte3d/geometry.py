"""The 2D cross-section of a case as a gmsh OpenCASCADE model with named physical groups.

The electrolyte is one polygon (substrate plus pillars hanging into the electrode); the electrode
is the rectangle below with the pillars cut out. Fragmenting the two makes their shared edges
(the interface) one set of curves, so the mesh is conforming across it.

gmsh models are built in micrometres: OpenCASCADE's boolean tolerance is an absolute 1e-7,
which in metres would merge points closer than 0.1 um. Meshes are written in metres
(``Mesh.ScalingFactor``, see :mod:`electrolyte3d.mesh`).
"""

from __future__ import annotations

import itertools
from contextlib import contextmanager

import gmsh

from electrolyte3d.parameters import UM
from electrolyte3d.shapes import CrossSection

ELECTROLYTE = "electrolyte"
ELECTRODE = "electrode"
INTERFACE = "interface"
TOP = "top"
INSULATION = "insulation"
PHYSICAL_GROUPS = {ELECTROLYTE: 2, ELECTRODE: 2, INTERFACE: 1, TOP: 1, INSULATION: 1}
"""Physical group names (shared by gmsh, scikit-fem and the rules) and their dimension."""

GMSH_LENGTH_UNIT = UM
"""Metres per gmsh model length unit."""


@contextmanager
def gmsh_session(log_to_terminal: bool = True):
    """An initialised gmsh API, finalised on exit; messages go to the process's stdout."""
    gmsh.initialize(readConfigFiles=False)
    try:
        gmsh.option.setNumber("General.Terminal", int(log_to_terminal))
        yield gmsh
    finally:
        gmsh.finalize()


def electrolyte_outline(section: CrossSection) -> list[tuple[float, float]]:
    """Vertices (gmsh units) of the electrolyte polygon, counter-clockwise from the top left."""
    scale = 1 / GMSH_LENGTH_UNIT
    half = section.electrode_length / 2 * scale
    top = section.substrate_thickness * scale
    half_width = section.pillar_width / 2 * scale
    depth = section.pillar_height * scale
    vertices = [(-half, top), (-half, 0.0)]
    for centre in sorted(centre * scale for centre in section.pillar_centres):
        vertices += [
            (centre - half_width, 0.0),
            (centre - half_width, -depth),
            (centre + half_width, -depth),
            (centre + half_width, 0.0),
        ]
    return vertices + [(half, 0.0), (half, top)]


def build(section: CrossSection) -> dict[str, list[int]]:
    """Create the model in the current gmsh session; return the entity tags of each physical group."""
    occ = gmsh.model.occ
    gmsh.model.add("electrolyte3d")
    points = [occ.addPoint(x, y, 0.0) for x, y in electrolyte_outline(section)]
    lines = [occ.addLine(start, end) for start, end in itertools.pairwise(points + points[:1])]
    electrolyte = occ.addPlaneSurface([occ.addCurveLoop(lines)])
    scale = 1 / GMSH_LENGTH_UNIT
    length = section.electrode_length * scale
    thickness = section.electrode_thickness * scale
    block = occ.addRectangle(-length / 2, -thickness, 0.0, length, thickness)
    electrode, _ = occ.cut([(2, block)], [(2, electrolyte)], removeTool=False)
    _, parents = occ.fragment([(2, electrolyte)], electrode)
    occ.synchronize()

    surfaces = {
        ELECTROLYTE: [tag for _, tag in parents[0]],
        ELECTRODE: [tag for children in parents[1:] for _, tag in children],
    }
    top_y = section.substrate_thickness * scale
    return add_physical_groups(surfaces, 2, lambda curve: _is_horizontal_at(curve, top_y))


def add_physical_groups(parts: dict[str, list[int]], dim: int, on_top) -> dict[str, list[int]]:
    """Name the ``parts`` (electrolyte and electrode entities of dimension ``dim``) and their
    boundary as physical groups: the interface (what both share), the top (the outer entities
    ``on_top`` accepts) and the insulation (the other outer ones); return each group's tags."""
    interface = boundary(dim, parts[ELECTROLYTE]) & boundary(dim, parts[ELECTRODE])
    outer = boundary(dim, parts[ELECTROLYTE] + parts[ELECTRODE])
    top = {entity for entity in outer if on_top(entity)}
    groups = {
        **parts,
        INTERFACE: sorted(interface),
        TOP: sorted(top),
        INSULATION: sorted(outer - top),
    }
    for name, tags in groups.items():
        gmsh.model.addPhysicalGroup(dim if name in parts else dim - 1, tags, name=name)
    return groups


def boundary(dim: int, entities: list[int]) -> set[int]:
    """Tags of the boundary of the union of ``entities`` of dimension ``dim``."""
    faces = gmsh.model.getBoundary([(dim, tag) for tag in entities], combined=True, oriented=False)
    return {tag for _, tag in faces}


def _is_horizontal_at(curve: int, y: float) -> bool:
    """Whether both end points of a (straight) curve lie on the line at height ``y``."""
    ends = gmsh.model.getBoundary([(1, curve)], combined=False)
    tolerance = 1e-9 * max(1.0, abs(y))
    return all(abs(gmsh.model.getValue(0, tag, [])[1] - y) < tolerance for _, tag in ends)


MEASURES = {2: ("area_m2", "length_m"), 3: ("volume_m3", "area_m2")}
"""Per model dimension: what the parts and what their boundary groups measure, with units."""


def measured_numbers(groups: dict[str, list[int]], dim: int = 2) -> dict[str, float]:
    """Sizes of the built model's groups (SI): areas and lengths of a 2D section, volumes and
    areas of a 3D cell, measured by OpenCASCADE, not from the inputs."""
    part_measure, boundary_measure = MEASURES[dim]
    numbers = {}
    for names, entity_dim, measure in (
        ((ELECTROLYTE, ELECTRODE), dim, part_measure),
        ((INTERFACE, TOP, INSULATION), dim - 1, boundary_measure),
    ):
        for name in names:
            size = sum(gmsh.model.occ.getMass(entity_dim, tag) for tag in groups[name])
            numbers[f"{name}_{measure}"] = size * GMSH_LENGTH_UNIT**entity_dim
    return numbers


def pillar_corners(groups: dict[str, list[int]]) -> list[int]:
    """Point tags of the interface's end points away from the domain sides: pillar roots and tips."""
    interface_points = {
        tag for _, tag in gmsh.model.getBoundary([(1, curve) for curve in groups[INTERFACE]], combined=False)
    }
    side_points = {
        tag for _, tag in gmsh.model.getBoundary([(1, curve) for curve in groups[INSULATION]], combined=False)
    }
    return sorted(interface_points - side_points)
