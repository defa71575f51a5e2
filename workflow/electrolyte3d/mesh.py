"""The mesh ladder: graded triangle meshes of a case's 2D section (size fields, the interface's
boundary layer split into right triangles) and tetrahedral meshes of its 3D unit cell.

Every level uses the same size fields with all sizes scaled by ``refinement_ratio**-level``
(distances are kept), so successive levels differ by a near-constant refinement ratio, as the
Grid Convergence Index assumes.
"""

from __future__ import annotations

import math

import gmsh
import numpy as np

from electrolyte3d import prism_layer, unit_cell
from electrolyte3d.geometry import (
    ELECTRODE,
    ELECTROLYTE,
    GMSH_LENGTH_UNIT,
    INSULATION,
    INTERFACE,
    PHYSICAL_GROUPS,
    TOP,
    boundary,
    pillar_corners,
)
from electrolyte3d.settings import MeshSettings, UnitCellMeshSettings
from electrolyte3d.shapes import UnitCell
from electrolyte3d.simplex import triangle_angles

FRONTAL_DELAUNAY = 6
DELAUNAY_3D = 1


def physical_groups() -> dict[str, list[int]]:
    """Entity tags of each named physical group of the current gmsh model."""
    groups = {}
    for dim, tag in gmsh.model.getPhysicalGroups():
        name = gmsh.model.getPhysicalName(dim, tag)
        groups[name] = [int(entity) for entity in gmsh.model.getEntitiesForPhysicalGroup(dim, tag)]
    missing = set(PHYSICAL_GROUPS) - set(groups)
    if missing:
        raise ValueError(f"geometry has no physical group(s) {sorted(missing)}")
    return groups


def set_size_fields(settings: MeshSettings, level: int, electrode_solved: bool = False) -> None:
    """Background size field of the current model: fine at the interface and the pillar corners,
    graded into the electrode, uniform in the electrolyte bulk; and an anisotropic boundary layer
    on the electrolyte side of the interface, where the depletion layer forms (it can be
    nanometres thick: sqrt(D t) at the paper's printed diffusivities). When the electrode is
    solved too (a cathode), the layer lines both sides of the interface: the intercalated Li
    enters the cathode in a layer as thin.

    Without a solved electrode the layer lines the interface alone and ends where it meets the
    insulated sides, its end column standing on the side. :func:`generate` splits the layer's
    quadrangles into right triangles (:func:`split_layer_quadrangles`), so that a flat film's
    layer is the same all along the interface (tests/test_planar_uniformity.py)."""
    groups = physical_groups()
    to_model = settings.size_factor(level) / GMSH_LENGTH_UNIT
    interface_size = settings.interface_size * to_model
    field = gmsh.model.mesh.field

    longest = max(gmsh.model.occ.getMass(1, curve) for curve in groups[INTERFACE])
    interface_distance = _distance("CurvesList", groups[INTERFACE], longest, interface_size)
    near_interface = _threshold(
        interface_distance,
        size_min=interface_size,
        size_max=settings.electrode_size * to_model,
        distance_max=settings.grading_distance / GMSH_LENGTH_UNIT,
    )

    electrolyte_bulk = field.add("Constant")
    field.setNumber(electrolyte_bulk, "VIn", settings.electrolyte_size * to_model)
    field.setNumber(electrolyte_bulk, "VOut", 1e22)
    field.setNumbers(electrolyte_bulk, "SurfacesList", groups[ELECTROLYTE])
    field.setNumber(electrolyte_bulk, "IncludeBoundary", 1)
    sizes = [near_interface, electrolyte_bulk]

    corners = pillar_corners(groups)
    if corners:
        corner_distance = field.add("Distance")
        field.setNumbers(corner_distance, "PointsList", corners)
        sizes.append(
            _threshold(
                corner_distance,
                size_min=settings.corner_size * to_model,
                size_max=interface_size,
                distance_max=settings.corner_radius / GMSH_LENGTH_UNIT,
                only_within=True,
            )
        )

    _use_smallest(sizes)

    roots = [point for point in corners if _on_substrate_underside(point)]
    # on the interface alone, ending at the insulated sides: the layer's end column is then a
    # stack of rectangles on the side, as a flat film's interior columns (along the sides as
    # well, it met the interface's layer at 45 degrees there, and the end node's c was 25 % off)
    curves, ends = layered_curves(groups) if electrode_solved else (groups[INTERFACE], interface_ends(groups))
    _boundary_layer(settings, level, curves, ends, excluded=groups[ELECTRODE], fans=roots)
    if electrode_solved:
        # gmsh layers a curve on one side per field: a second field lines the electrode's side
        # of the interface, ending where the interface meets the domain sides and fanning at the
        # pillar tips, the electrode's re-entrant corners
        tips = [point for point in corners if point not in roots]
        _boundary_layer(
            settings, level, groups[INTERFACE], interface_ends(groups), excluded=groups[ELECTROLYTE], fans=tips
        )


def _distance(entity_list: str, tags: list[int], longest: float, spacing: float) -> int:
    """A Distance field to the entities (``entity_list`` names their kind: CurvesList, SurfacesList),
    sampled at half ``spacing`` along ``longest``, their longest extent (gmsh units); gmsh samples
    a surface on a grid of Sampling x Sampling parameter values."""
    field = gmsh.model.mesh.field
    distance = field.add("Distance")
    field.setNumbers(distance, entity_list, tags)
    field.setNumber(distance, "Sampling", math.ceil(2 * longest / spacing) + 1)
    return distance


def _use_smallest(sizes: list[int]) -> None:
    """Make the smallest of the ``sizes`` fields the background mesh size, and the only size source."""
    field = gmsh.model.mesh.field
    smallest = field.add("Min")
    field.setNumbers(smallest, "FieldsList", sizes)
    field.setAsBackgroundMesh(smallest)
    for option in ("MeshSizeExtendFromBoundary", "MeshSizeFromPoints", "MeshSizeFromCurvature"):
        gmsh.option.setNumber(f"Mesh.{option}", 0)


def _boundary_layer(
    settings: MeshSettings, level: int, curves: list[int], ends: list[int], excluded: list[int], fans: list[int]
) -> None:
    """An anisotropic boundary layer on ``curves``, on the side away from the ``excluded`` surfaces."""
    to_model = settings.size_factor(level) / GMSH_LENGTH_UNIT
    field = gmsh.model.mesh.field
    layer = field.add("BoundaryLayer")
    field.setNumbers(layer, "CurvesList", curves)
    field.setNumbers(layer, "PointsList", ends)
    field.setNumbers(layer, "ExcludedSurfacesList", excluded)
    # first layer and growth shrink together, so each level splits every layer of the one before
    field.setNumber(layer, "Size", settings.boundary_layer_first * to_model)
    field.setNumber(layer, "Ratio", 1 + (settings.boundary_layer_ratio - 1) * settings.size_factor(level))
    field.setNumber(layer, "Thickness", settings.boundary_layer_thickness * to_model)
    # quadrangles, which generate() splits into right triangles, the diagonal alternating from
    # layer to layer: gmsh's own triangles (Quads 0) split them with either diagonal at random,
    # so the lumped mass of an interface node varied by +-1/3 along a flat film
    field.setNumber(layer, "Quads", 1)
    field.setNumbers(layer, "FanPointsList", fans)
    field.setAsBoundaryLayer(layer)


def interface_ends(groups: dict[str, list[int]]) -> list[int]:
    """The two points where the interface meets the domain's sides."""
    interface = {tag for _, tag in gmsh.model.getBoundary([(1, curve) for curve in groups[INTERFACE]], combined=True)}
    sides = {tag for _, tag in gmsh.model.getBoundary([(1, curve) for curve in groups[INSULATION]], combined=False)}
    return sorted(interface & sides)


def layered_curves(groups: dict[str, list[int]]) -> tuple[list[int], list[int]]:
    """Curves that carry the electrolyte's boundary layer when the electrode has one too (a
    cathode): the interface and the electrolyte's insulated sides, since gmsh refuses two layers
    that end at the same points; and the points where it ends instead, the top corners."""
    curves = sorted(boundary(2, groups[ELECTROLYTE]) - set(groups[TOP]))

    def end_points(tags) -> set[int]:
        return {tag for _, tag in gmsh.model.getBoundary([(1, curve) for curve in tags], combined=False)}

    return curves, sorted(end_points(curves) & end_points(groups[TOP]))


def _on_substrate_underside(point: int) -> bool:
    """Pillar roots (y = 0) are re-entrant corners of the electrolyte: its boundary layer fans there."""
    return abs(gmsh.model.getValue(0, point, [])[1]) < 1e-9


def _threshold(
    distance_field: int, size_min: float, size_max: float, distance_max: float, only_within: bool = False
) -> int:
    """Size growing linearly from ``size_min`` at distance 0 to ``size_max`` at ``distance_max``;
    beyond it ``size_max``, or no constraint at all if ``only_within``."""
    field = gmsh.model.mesh.field
    threshold = field.add("Threshold")
    field.setNumber(threshold, "InField", distance_field)
    field.setNumber(threshold, "SizeMin", size_min)
    field.setNumber(threshold, "SizeMax", size_max)
    field.setNumber(threshold, "DistMin", 0.0)
    field.setNumber(threshold, "DistMax", distance_max)
    field.setNumber(threshold, "StopAtDistMax", int(only_within))
    return threshold


class MeshingError(RuntimeError):
    """gmsh could not mesh the model with these settings."""


def generate(settings: MeshSettings, level: int, electrode_solved: bool = False) -> None:
    """Mesh the current model (opened from the geometry file) at ``level`` of the ladder."""
    set_size_fields(settings, level, electrode_solved)
    gmsh.option.setNumber("Mesh.Algorithm", FRONTAL_DELAUNAY)
    try:
        gmsh.model.mesh.generate(2)
        if not electrode_solved:
            _remesh_electrode_without_layer(
                settings.boundary_layer_thickness * settings.size_factor(level) / GMSH_LENGTH_UNIT
            )
        split_layer_quadrangles()
    except Exception as error:
        raise MeshingError(
            f"gmsh could not mesh level {level} ({error}); the boundary layer "
            f"(first {settings.boundary_layer_first:.3g} m, ratio {settings.boundary_layer_ratio}, "
            f"thickness {settings.boundary_layer_thickness:.3g} m) or the corner size "
            f"({settings.corner_size:.3g} m) are the usual suspects"
        ) from None


def _remesh_electrode_without_layer(thickness: float) -> None:
    """Mesh the electrode again with the electrolyte's layer nodes taken off its sides.

    Where the layer ends (the interface's ends), gmsh puts the layer's nodes on every curve that
    meets the end point, the electrode's insulated side too, and the electrode's triangles fan
    from the next interface node to them (smallest angle 0.1 degrees). The electrode's side
    curves lose their nodes within ``thickness`` (gmsh units) of the interface and the electrode
    surfaces are meshed again, alone (the electrolyte's mesh and the interface's are kept)."""
    groups = physical_groups()
    ends = set(interface_ends(groups))
    sides = [
        curve
        for curve in sorted(set(groups[INSULATION]) & boundary(2, groups[ELECTRODE]))
        if {tag for _, tag in gmsh.model.getBoundary([(1, curve)], combined=False)} & ends
    ]
    kept = {}
    for curve in sides:
        tags, coordinates, parameters = gmsh.model.mesh.getNodes(1, curve, includeBoundary=True)
        order = np.argsort(parameters)
        tags, coordinates, parameters = tags[order], coordinates.reshape(-1, 3)[order], parameters[order]
        corner = next(tag for _, tag in gmsh.model.getBoundary([(1, curve)], combined=False) if tag in ends)
        far = np.linalg.norm(coordinates - np.array(gmsh.model.getValue(0, corner, [])), axis=1) > thickness * (
            1 + 1e-6
        )
        inner = np.flatnonzero(far[1:-1]) + 1  # the first and last nodes are the curve's end points
        kept[curve] = (tags[0], tags[inner], coordinates[inner], parameters[inner], tags[-1])
    gmsh.model.mesh.clear([(2, surface) for surface in groups[ELECTRODE]] + [(1, curve) for curve in sides])
    for curve, (first, tags, coordinates, parameters, last) in kept.items():
        gmsh.model.mesh.addNodes(1, curve, tags.tolist(), coordinates.ravel().tolist(), parameters.tolist())
        chain = np.concatenate([[first], tags, [last]]).astype(np.int64)
        start = int(gmsh.model.mesh.getMaxElementTag()) + 1
        gmsh.model.mesh.addElementsByType(
            curve, 1, list(range(start, start + chain.size - 1)), np.stack([chain[:-1], chain[1:]], 1).ravel().tolist()
        )
    gmsh.option.setNumber("Mesh.MeshOnlyVisible", 1)
    gmsh.model.setVisibility(gmsh.model.getEntities(), 0)
    gmsh.model.setVisibility([(2, surface) for surface in groups[ELECTRODE]], 1)
    try:
        gmsh.model.mesh.generate(2)
    finally:
        gmsh.option.setNumber("Mesh.MeshOnlyVisible", 0)
        gmsh.model.setVisibility(gmsh.model.getEntities(), 1)


SPLIT_ANGLE_MARGIN_DEG = 1.0
"""A layer quadrangle keeps its prescribed diagonal unless the other one leaves a largest angle
smaller by more than this: a rectangle (all of a flat film's layer) always keeps it, a
quadrangle distorted where layers meet at a convex corner takes the better diagonal."""


def split_layer_quadrangles() -> None:
    """Split every quadrangle of the boundary layer into two right triangles: in the even layers
    (counted from the interface, 0 on it) with the diagonal from the corner where the quadrangle's
    interface-side edge starts, in the odd ones with the other diagonal.

    On a flat film every interior interface node then has the same star, hence the same lumped
    mass per unit length, and the discrete solution there is exactly 1D (gmsh's own split, Quads
    0, took either diagonal at random: lumped masses +-1/3 apart, interface c CV 1.6e-2). The node
    where the layer meets an insulated side cannot have half an interior node's star: the side
    edge's triangle has its third vertex on the interface or on the next row, so in each layer its
    lumped mass is 2/3 or 4/3 of half an interior node's, whatever the diagonals. Alternating the
    diagonal alternates the sign of that error from row to row, and the errors largely cancel
    (the end node's c 6 mol/m3 off instead of 45 at the first resolved time on level 0)."""
    groups = physical_groups()
    # the layers grow from the interface, and on a cathode's electrolyte side from the insulated sides too
    seeds = [_curve_nodes(groups[INTERFACE]), _curve_nodes(groups[INSULATION])]
    node_tags, coordinates, _ = gmsh.model.mesh.getNodes()
    position = np.zeros((int(node_tags.max()) + 1, 2))
    position[node_tags.astype(np.int64)] = coordinates.reshape(-1, 3)[:, :2]
    next_tag = int(gmsh.model.mesh.getMaxElementTag()) + 1
    for surface in groups[ELECTROLYTE] + groups[ELECTRODE]:
        quad_tags, quad_nodes = gmsh.model.mesh.getElementsByType(3, surface)
        if not len(quad_tags):
            continue
        quads = np.asarray(quad_nodes, dtype=np.int64).reshape(-1, 4)
        triangles = _split(quads, _layer_starts(quads, seeds), position)
        gmsh.model.mesh.removeElements(2, surface, quad_tags)
        gmsh.model.mesh.addElementsByType(
            surface, 2, list(range(next_tag, next_tag + len(triangles))), triangles.ravel().tolist()
        )
        next_tag += len(triangles)


def _curve_nodes(curves: list[int]) -> set[int]:
    """Tags of the mesh nodes on the curves, their end points included."""
    nodes = set()
    for curve in curves:
        tags, _, _ = gmsh.model.mesh.getNodes(1, curve, includeBoundary=True)
        nodes.update(int(tag) for tag in tags)
    return nodes


def _layer_starts(quads: np.ndarray, seeds: list[set[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Per quadrangle (rows of 4 node tags in cyclic order): the index of the corner that begins
    its near edge (the one nearer the layered curve) in that order, and its layer (0 on the
    curve, k + 1 across the far edge of a quadrangle of layer k). Found by walking out from the
    quadrangles with an edge on the first set of ``seeds`` nodes, then from those left over with
    an edge on the next set."""
    by_edge: dict[tuple[int, int], list[int]] = {}
    for index, quad in enumerate(quads):
        for corner in range(4):
            edge = tuple(sorted((int(quad[corner]), int(quad[(corner + 1) % 4]))))
            by_edge.setdefault(edge, []).append(index)
    start = np.full(len(quads), -1)
    layer = np.full(len(quads), -1)
    for nodes in seeds:
        frontier = []
        for index in np.flatnonzero(start < 0):
            quad = quads[index]
            for corner in range(4):
                if int(quad[corner]) in nodes and int(quad[(corner + 1) % 4]) in nodes:
                    start[index], layer[index] = corner, 0
                    frontier.append(index)
                    break
        while frontier:
            following = []
            for index in frontier:
                quad = quads[index]
                far = (start[index] + 2) % 4  # the far edge runs from corner far to far + 1
                edge = (int(quad[far]), int(quad[(far + 1) % 4]))
                for neighbour in by_edge[tuple(sorted(edge))]:
                    if start[neighbour] >= 0:
                        continue
                    # the shared edge runs the other way in the neighbour's cyclic order
                    start[neighbour] = int(np.flatnonzero(quads[neighbour] == edge[1])[0])
                    layer[neighbour] = layer[index] + 1
                    following.append(neighbour)
            frontier = following
    unreached = start < 0
    start[unreached], layer[unreached] = 0, 0  # none expected: either diagonal
    return start, layer


def _split(quads: np.ndarray, starts: tuple[np.ndarray, np.ndarray], position: np.ndarray) -> np.ndarray:
    """Two triangles per quadrangle, the diagonal from corner ``start`` in even layers and from
    the next corner in odd ones, unless the other diagonal gives clearly better angles."""
    start, layer = starts
    first = (start + layer % 2) % 4
    rows = np.arange(len(quads))
    corners = [quads[rows, (first + offset) % 4] for offset in range(4)]
    preferred = np.stack([np.stack(corners[:3], 1), np.stack([corners[0], corners[2], corners[3]], 1)], 1)
    other = np.stack([np.stack(corners[1:], 1), np.stack([corners[1], corners[3], corners[0]], 1)], 1)

    def largest_angle(triangles):
        return triangle_angles(position[triangles.reshape(-1, 3)]).reshape(len(quads), -1).max(axis=1)

    better = largest_angle(other) < largest_angle(preferred) - SPLIT_ANGLE_MARGIN_DEG
    return np.where(better[:, None, None], other, preferred).reshape(-1, 3)


def set_unit_cell_size_fields(settings: UnitCellMeshSettings, level: int) -> None:
    """Background size field of the current unit cell: interface_size on the interface, growing
    linearly over grading_distance to electrolyte_size in the electrolyte and to electrode_size in
    the electrode, and rim_size at the pillar rims, growing to interface_size over rim_radius."""
    groups = physical_groups()
    to_model = settings.size_factor(level) / GMSH_LENGTH_UNIT
    interface_size = settings.interface_size * to_model
    grading = settings.grading_distance / GMSH_LENGTH_UNIT
    field = gmsh.model.mesh.field

    longest = max(_longest_extent(2, surface) for surface in groups[INTERFACE])
    interface_distance = _distance("SurfacesList", groups[INTERFACE], longest, interface_size)
    sizes = []
    for volume, bulk_size in ((ELECTROLYTE, settings.electrolyte_size), (ELECTRODE, settings.electrode_size)):
        graded = _threshold(
            interface_distance, size_min=interface_size, size_max=bulk_size * to_model, distance_max=grading
        )
        restricted = field.add("Restrict")
        field.setNumber(restricted, "InField", graded)
        field.setNumbers(restricted, "VolumesList", groups[volume])
        field.setNumber(restricted, "IncludeBoundary", 1)
        sizes.append(restricted)

    rims = unit_cell.rim_curves(groups)
    if rims:
        rim_size = settings.rim_size * to_model
        rim_distance = _distance("CurvesList", rims, max(gmsh.model.occ.getMass(1, curve) for curve in rims), rim_size)
        sizes.append(
            _threshold(
                rim_distance,
                size_min=rim_size,
                size_max=interface_size,
                distance_max=settings.rim_radius / GMSH_LENGTH_UNIT,
                only_within=True,
            )
        )

    _use_smallest(sizes)


def _longest_extent(dim: int, tag: int) -> float:
    """The longest side of an entity's bounding box (gmsh units)."""
    box = gmsh.model.getBoundingBox(dim, tag)
    return max(high - low for low, high in zip(box[:3], box[3:], strict=True))


def generate_unit_cell(cell: UnitCell, settings: UnitCellMeshSettings, level: int) -> prism_layer.Layer:
    """Tetrahedral mesh of the current unit cell (opened from the geometry file) at ``level``: a
    prism layer on the electrolyte side of the interface (:mod:`electrolyte3d.prism_layer`), its
    first height and ratio shrunk with the ladder as the 2D layer's, its thickness kept, then gmsh's
    Delaunay tetrahedra in the rest, improved by its Netgen optimiser (which doubles the smallest
    dihedral angle and SICN of the paper's hexagonal cell, README "Cost of the 3D ladder"). The
    optimisers cannot be told which volumes to work on, and on the layer Netgen's merges rows
    (39,168 tetrahedra of a flat film's layer became 8,504), so the layer's inside is put back
    after them."""
    # the thickness is the depletion layer's, which a finer level must cover as well: a flat
    # film's depletion time was 5.3 % late on level 1 when it shrank with the level too
    thickness = settings.boundary_layer_thickness
    row_fractions = settings.layer_fractions(level)
    cell.check_layer(f"geometry {cell.key}", thickness)
    layer_volumes, core_volumes = _split_off_layer(cell, thickness / GMSH_LENGTH_UNIT)
    set_unit_cell_size_fields(settings, level)
    renumber = gmsh.option.getNumber("Mesh.Renumber")
    gmsh.option.setNumber("Mesh.Algorithm", FRONTAL_DELAUNAY)
    gmsh.option.setNumber("Mesh.Algorithm3D", DELAUNAY_3D)
    gmsh.option.setNumber("Mesh.OptimizeNetgen", 1)
    try:
        gmsh.model.mesh.generate(2)
        shares, fill_layer = prism_layer.add(
            physical_groups()[INTERFACE], layer_volumes, row_fractions, thickness / GMSH_LENGTH_UNIT
        )
        gmsh.option.setNumber("Mesh.MeshOnlyEmpty", 1)
        gmsh.option.setNumber("Mesh.Renumber", 0)  # the layer's inside is put back by node tag
        gmsh.model.mesh.generate(3)
        fill_layer()
        points, mass = prism_layer.lumped_mass(shares, core_volumes)
    except Exception as error:
        raise MeshingError(
            f"gmsh could not mesh level {level} of the unit cell ({error}); the boundary layer "
            f"(first {settings.boundary_layer_first:.3g} m, ratio {settings.boundary_layer_ratio}, "
            f"thickness {settings.boundary_layer_thickness:.3g} m), the rim size "
            f"({settings.rim_size:.3g} m within {settings.rim_radius:.3g} m of the pillar rims) "
            f"or a steep grading (interface {settings.interface_size:.3g} m to "
            f"{settings.electrode_size:.3g} m over {settings.grading_distance:.3g} m) are the usual suspects"
        ) from None
    finally:
        gmsh.option.setNumber("Mesh.MeshOnlyEmpty", 0)
        gmsh.option.setNumber("Mesh.Renumber", renumber)
    return prism_layer.Layer(
        heights=row_fractions * thickness,
        volumes=layer_volumes,
        core_volumes=core_volumes,
        lumped_mass_points=points * GMSH_LENGTH_UNIT,
        lumped_mass=mass * GMSH_LENGTH_UNIT**3,
    )


def _split_off_layer(cell: UnitCell, thickness: float) -> tuple[list[int], list[int]]:
    """Fragment the electrolyte by its core (farther than ``thickness`` from the interface, gmsh
    units) and name the physical groups again; return the layer's volumes and the core's."""
    groups = physical_groups()
    electrolyte, electrode = [(3, tag) for tag in groups[ELECTROLYTE]], [(3, tag) for tag in groups[ELECTRODE]]
    core = unit_cell.add_core(cell, thickness)
    _, parents = gmsh.model.occ.fragment(electrolyte + electrode, core)
    gmsh.model.occ.synchronize()
    pieces = [sorted({tag for _, tag in children}) for children in parents]
    core_volumes = sorted({tag for children in pieces[len(electrolyte) + len(electrode) :] for tag in children})
    electrolyte_volumes = sorted({tag for children in pieces[: len(electrolyte)] for tag in children})
    electrode_volumes = sorted(
        {tag for children in pieces[len(electrolyte) : len(electrolyte) + len(electrode)] for tag in children}
    )
    gmsh.model.removePhysicalGroups()
    # the fragment dropped the groups of the replaced entities but not their names, which a new
    # group of that name would then not get
    for name in PHYSICAL_GROUPS:
        gmsh.model.removePhysicalName(name)
    unit_cell.name_groups(cell, electrolyte_volumes, electrode_volumes)
    return sorted(set(electrolyte_volumes) - set(core_volumes)), core_volumes
