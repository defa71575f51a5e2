"""The mesh ladder: graded triangle meshes of a case's geometry, their quality report, and loading.

Every level uses the same size fields with all sizes scaled by ``refinement_ratio**-level``
(distances are kept), so successive levels differ by a near-constant refinement ratio, as the
Grid Convergence Index assumes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import gmsh
import numpy as np
import pandas as pd
import skfem

from electrolyte3d import io
from electrolyte3d.config import MeshSettings
from electrolyte3d.geometry import (
    ELECTROLYTE,
    ELECTRODE,
    GMSH_LENGTH_UNIT,
    INSULATION,
    INTERFACE,
    PHYSICAL_GROUPS,
    TOP,
    boundary_curves,
    pillar_corners,
)

FRONTAL_DELAUNAY = 6


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
    enters the cathode in a layer as thin."""
    groups = physical_groups()
    to_model = settings.size_factor(level) / GMSH_LENGTH_UNIT
    interface_size = settings.interface_size * to_model
    field = gmsh.model.mesh.field

    interface_distance = field.add("Distance")
    field.setNumbers(interface_distance, "CurvesList", groups[INTERFACE])
    longest = max(gmsh.model.occ.getMass(1, curve) for curve in groups[INTERFACE])
    field.setNumber(interface_distance, "Sampling", math.ceil(2 * longest / interface_size) + 1)
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

    smallest = field.add("Min")
    field.setNumbers(smallest, "FieldsList", sizes)
    field.setAsBackgroundMesh(smallest)

    curves, ends = layered_curves(groups)
    roots = [point for point in corners if _on_substrate_underside(point)]
    _boundary_layer(settings, level, curves, ends, excluded=groups[ELECTRODE], fans=roots)
    if electrode_solved:
        # gmsh layers a curve on one side per field: a second field lines the electrode's side
        # of the interface, ending where the interface meets the domain sides and fanning at the
        # pillar tips, the electrode's re-entrant corners
        tips = [point for point in corners if point not in roots]
        _boundary_layer(settings, level, groups[INTERFACE], interface_ends(groups), excluded=groups[ELECTROLYTE], fans=tips)
    for option in ("MeshSizeExtendFromBoundary", "MeshSizeFromPoints", "MeshSizeFromCurvature"):
        gmsh.option.setNumber(f"Mesh.{option}", 0)


def _boundary_layer(settings: MeshSettings, level: int, curves: list[int], ends: list[int], excluded: list[int], fans: list[int]) -> None:
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
    field.setNumber(layer, "Quads", 0)
    field.setNumbers(layer, "FanPointsList", fans)
    field.setAsBoundaryLayer(layer)


def interface_ends(groups: dict[str, list[int]]) -> list[int]:
    """The two points where the interface meets the domain's sides."""
    interface = {tag for _, tag in gmsh.model.getBoundary([(1, curve) for curve in groups[INTERFACE]], combined=True)}
    sides = {tag for _, tag in gmsh.model.getBoundary([(1, curve) for curve in groups[INSULATION]], combined=False)}
    return sorted(interface & sides)


def layered_curves(groups: dict[str, list[int]]) -> tuple[list[int], list[int]]:
    """Curves that carry the electrolyte's boundary layer: the interface and the electrolyte's
    insulated sides, so that the layer does not end where the interface meets the sides (gmsh
    4.15 leaves sliver triangles at such ends); and the points where it ends instead, the top
    corners, where it is continued along the top."""
    curves = sorted(boundary_curves(groups[ELECTROLYTE]) - set(groups[TOP]))

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
    except Exception as error:
        raise MeshingError(
            f"gmsh could not mesh level {level} ({error}); the boundary layer "
            f"(first {settings.boundary_layer_first:.3g} m, ratio {settings.boundary_layer_ratio}, "
            f"thickness {settings.boundary_layer_thickness:.3g} m) or the corner size "
            f"({settings.corner_size:.3g} m) are the usual suspects"
        ) from None


def write(path: str) -> None:
    """Write the current mesh in metres, gmsh 4.1 binary format, physical groups only."""
    gmsh.option.setNumber("Mesh.MshFileVersion", 4.1)
    gmsh.option.setNumber("Mesh.Binary", 1)
    gmsh.option.setNumber("Mesh.SaveAll", 0)
    gmsh.option.setNumber("Mesh.ScalingFactor", GMSH_LENGTH_UNIT)
    gmsh.write(path)


def report() -> dict:
    """Element counts per physical group and quality of the current mesh (lengths in SI)."""
    groups = physical_groups()
    node_tags, coordinates, _ = gmsh.model.mesh.getNodes()
    position = np.zeros((int(node_tags.max()) + 1, 2))
    position[node_tags] = coordinates.reshape(-1, 3)[:, :2] * GMSH_LENGTH_UNIT

    triangles = {name: _elements(2, groups[name]) for name in (ELECTROLYTE, ELECTRODE)}
    segments = {name: _elements(1, groups[name]) for name in (INTERFACE, TOP, INSULATION)}
    all_triangles = np.vstack(list(triangles.values()))
    angles = triangle_angles(position[all_triangles])
    electrode_angles = triangle_angles(position[triangles[ELECTRODE]])
    return {
        "nodes": int(node_tags.size),
        "triangles": int(all_triangles.shape[0]),
        "triangles_per_group": {name: int(cells.shape[0]) for name, cells in triangles.items()},
        "line_elements_per_group": {name: int(cells.shape[0]) for name, cells in segments.items()},
        "max_angle_deg": float(angles.max()),
        "min_angle_electrode_deg": float(electrode_angles.min()),
        "interface_first_layer_m": first_layer_thickness(position, triangles[ELECTROLYTE], segments[INTERFACE]),
        "electrolyte_area_m2": float(triangle_areas(position[triangles[ELECTROLYTE]]).sum()),
        "interface_length_m": float(segment_lengths(position[segments[INTERFACE]]).sum()),
    }


def first_layer_thickness(position: np.ndarray, triangles: np.ndarray, facets: np.ndarray) -> float:
    """Median height, normal to the interface, of the electrolyte triangles resting on an
    interface facet (m): the mesh size that must resolve the depletion layer."""
    stride = np.int64(position.shape[0])

    def edge_keys(edges: np.ndarray) -> np.ndarray:
        edges = np.sort(edges, axis=1).astype(np.int64)
        return edges[:, 0] * stride + edges[:, 1]

    interface_keys = edge_keys(facets)
    heights = []
    for first, second in ((0, 1), (1, 2), (2, 0)):
        resting = np.isin(edge_keys(triangles[:, [first, second]]), interface_keys)
        cells = position[triangles[resting]]
        base = np.linalg.norm(cells[:, second] - cells[:, first], axis=1)
        heights.append(2 * triangle_areas(cells) / base)
    return float(np.median(np.concatenate(heights)))


def _elements(dim: int, entities: list[int]) -> np.ndarray:
    """Node tags of the first-order elements on ``entities``, one row per element."""
    rows = []
    for entity in entities:
        _, _, node_tags = gmsh.model.mesh.getElements(dim, entity)
        rows.append(np.asarray(node_tags[0], dtype=np.int64).reshape(-1, dim + 1))
    return np.vstack(rows)


def triangle_angles(vertices: np.ndarray) -> np.ndarray:
    """Interior angles (degrees) of triangles given as an (n, 3, 2) array of vertex coordinates."""
    edges = np.roll(vertices, -1, axis=1) - vertices
    incoming, outgoing = -np.roll(edges, 1, axis=1), edges
    cosine = np.einsum("nij,nij->ni", incoming, outgoing) / (
        np.linalg.norm(incoming, axis=2) * np.linalg.norm(outgoing, axis=2)
    )
    return np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0)))


def triangle_areas(vertices: np.ndarray) -> np.ndarray:
    first, second = vertices[:, 1] - vertices[:, 0], vertices[:, 2] - vertices[:, 0]
    return 0.5 * np.abs(first[:, 0] * second[:, 1] - first[:, 1] * second[:, 0])


def segment_lengths(vertices: np.ndarray) -> np.ndarray:
    return np.linalg.norm(vertices[:, 1] - vertices[:, 0], axis=1)


def ladder_table(reports: list[dict], wall_seconds: list[float], cases: Mapping[str, list[str]]) -> pd.DataFrame:
    """One row per geometry and level from the level reports, with the cases that use the
    geometry (``cases``: geometry key -> case names), the meshing wall time and the refinement
    ratio implied by the element counts, r = (N_level / N_previous)^(1/2) in 2D."""
    rows = []
    for report, seconds in zip(reports, wall_seconds, strict=True):
        row = {key: value for key, value in report.items() if not isinstance(value, dict) and key not in io.PROVENANCE_KEYS}
        for group in ("triangles_per_group", "line_elements_per_group"):
            row.update({f"{group.split('_per_')[0]}_{name}": count for name, count in report[group].items()})
        rows.append({**row, "cases": " ".join(cases[report["geometry"]]), "mesh_wall_s": seconds})
    table = pd.DataFrame(rows).sort_values(["geometry", "level"], ignore_index=True)
    previous = table.groupby("geometry")["triangles"].shift()
    table["refinement_ratio_from_counts"] = np.sqrt(table["triangles"] / previous)
    return table


def load(path: str) -> skfem.MeshTri:
    """A scikit-fem mesh (metres) with ``subdomains`` and ``boundaries`` keyed by physical group name."""
    mesh = skfem.MeshTri.load(path)
    missing = set(PHYSICAL_GROUPS) - set(mesh.subdomains or {}) - set(mesh.boundaries or {})
    if missing:
        raise ValueError(f"{path}: mesh lacks physical group(s) {sorted(missing)}")
    return mesh


def part(path: str, subdomain: str) -> skfem.MeshTri:
    """The ``electrolyte`` or ``electrode`` part of a level's mesh, keeping its boundaries."""
    return load(path).restrict(subdomain)


SOLVED_BOUNDARIES = {ELECTROLYTE: (INTERFACE, TOP), ELECTRODE: (INTERFACE,)}
"""The boundaries each part's equations need."""


def save_part(mesh: skfem.MeshTri, subdomain: str, path: str) -> None:
    """A part of the mesh as plain arrays (points, triangles, and the vertex pairs of each
    boundary facet), which load in milliseconds where restricting the .msh takes seconds."""
    facets = {f"boundary_{name}": mesh.facets[:, mesh.boundaries[name]] for name in SOLVED_BOUNDARIES[subdomain]}
    with io.atomic_path(path) as partial:
        np.savez(partial, points=mesh.p, triangles=mesh.t, **facets)


def load_part(path: str) -> skfem.MeshTri:
    """A mesh written by :func:`save_part`, its boundaries found again by vertex pairs."""
    with np.load(path) as data:
        mesh = skfem.MeshTri(data["points"], data["triangles"])
        facet_keys = _facet_keys(mesh.facets, mesh.nvertices)
        order = np.argsort(facet_keys)
        boundaries = {}
        for key in data.files:
            if not key.startswith("boundary_"):
                continue
            name = key.removeprefix("boundary_")
            wanted = _facet_keys(data[key], mesh.nvertices)
            found = order[np.searchsorted(facet_keys, wanted, sorter=order)]
            if not np.array_equal(facet_keys[found], wanted):
                raise ValueError(f"{path}: boundary {name} names facets the mesh does not have")
            boundaries[name] = found
    return mesh.with_boundaries(boundaries)


def _facet_keys(facets: np.ndarray, vertices: int) -> np.ndarray:
    low, high = np.sort(facets, axis=0)
    return low.astype(np.int64) * vertices + high
