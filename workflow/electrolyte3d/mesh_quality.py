"""The quality report of a level's mesh (element counts per physical group, angles, SICN, the
height of the interface's first element layer, measured sizes) and the table of a ladder's
levels (results/mesh_report.csv)."""

from __future__ import annotations

from collections.abc import Mapping

import gmsh
import numpy as np
import pandas as pd

from electrolyte3d import io
from electrolyte3d.geometry import ELECTRODE, ELECTROLYTE, GMSH_LENGTH_UNIT, INSULATION, INTERFACE, TOP
from electrolyte3d.mesh import physical_groups
from electrolyte3d.mesh_files import facet_keys
from electrolyte3d.shapes import element_count
from electrolyte3d.simplex import measures, tetrahedron_dihedral_angles, triangle_angles


def report() -> dict:
    """Element counts per physical group and quality of the current mesh (lengths in SI); a
    tetrahedral mesh of a unit cell gets :func:`report_unit_cell`."""
    if gmsh.model.getDimension() == 3:
        return report_unit_cell()
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
        "electrolyte_area_m2": float(measures(position[triangles[ELECTROLYTE]]).sum()),
        "interface_length_m": float(measures(position[segments[INTERFACE]]).sum()),
    }


def report_unit_cell() -> dict:
    """Element and node counts per physical group and quality of the current tetrahedral mesh
    (lengths in SI). Quality: the smallest signed inverse condition number (SICN: 1 for a regular
    tetrahedron, 0 for a flat one, negative for an inverted one) and the smallest dihedral angle."""
    groups = physical_groups()
    node_tags, coordinates, _ = gmsh.model.mesh.getNodes()
    position = np.zeros((int(node_tags.max()) + 1, 3))
    position[node_tags] = coordinates.reshape(-1, 3) * GMSH_LENGTH_UNIT

    tetrahedra = {name: _elements(3, groups[name]) for name in (ELECTROLYTE, ELECTRODE)}
    triangles = {name: _elements(2, groups[name]) for name in (INTERFACE, TOP, INSULATION)}
    sicn = {name: _min_element_quality(3, groups[name], "minSICN") for name in (ELECTROLYTE, ELECTRODE)}
    dihedral = {name: tetrahedron_dihedral_angles(position[cells]).min() for name, cells in tetrahedra.items()}
    return {
        "dimension": 3,
        "nodes": int(node_tags.size),
        "tetrahedra": int(sum(cells.shape[0] for cells in tetrahedra.values())),
        "nodes_per_group": {name: int(np.unique(cells).size) for name, cells in tetrahedra.items()},
        "tetrahedra_per_group": {name: int(cells.shape[0]) for name, cells in tetrahedra.items()},
        "triangles_per_group": {name: int(cells.shape[0]) for name, cells in triangles.items()},
        "min_sicn": float(min(sicn.values())),
        "min_sicn_electrolyte": float(sicn[ELECTROLYTE]),
        "min_dihedral_angle_deg": float(min(dihedral.values())),
        "min_dihedral_angle_electrolyte_deg": float(dihedral[ELECTROLYTE]),
        "interface_first_layer_m": first_layer_height(position, tetrahedra[ELECTROLYTE], triangles[INTERFACE]),
        "electrolyte_volume_m3": float(measures(position[tetrahedra[ELECTROLYTE]]).sum()),
        "interface_area_m2": float(measures(position[triangles[INTERFACE]]).sum()),
    }


def layer_quality(layer_volumes: list[int], core_volumes: list[int]) -> dict:
    """Smallest SICN and dihedral angle of the electrolyte's tetrahedra inside the prism layer
    (thin by design: a layer's tetrahedra are as flat as its rows are thin against the interface
    triangles) and outside it, in the core."""
    node_tags, coordinates, _ = gmsh.model.mesh.getNodes()
    position = np.zeros((int(node_tags.max()) + 1, 3))
    position[node_tags] = coordinates.reshape(-1, 3)
    quality = {}
    for where, volumes in (("layer", layer_volumes), ("core", core_volumes)):
        quality[f"min_sicn_{where}"] = _min_element_quality(3, volumes, "minSICN")
        quality[f"min_dihedral_angle_{where}_deg"] = float(
            tetrahedron_dihedral_angles(position[_elements(3, volumes)]).min()
        )
    return quality


def _min_element_quality(dim: int, entities: list[int], measure: str) -> float:
    qualities = []
    for entity in entities:
        _, element_tags, _ = gmsh.model.mesh.getElements(dim, entity)
        qualities.append(gmsh.model.mesh.getElementQualities(element_tags[0], measure))
    return float(np.concatenate(qualities).min())


def first_layer_height(position: np.ndarray, tetrahedra: np.ndarray, facets: np.ndarray) -> float:
    """Median height, normal to the interface, of the electrolyte tetrahedra resting on an
    interface triangle (m): 3 V / A, the 3D :func:`first_layer_thickness`."""
    interface_keys = facet_keys(facets.T, position.shape[0])
    heights = []
    for face in ((0, 1, 2), (0, 1, 3), (0, 2, 3), (1, 2, 3)):
        resting = np.isin(facet_keys(tetrahedra[:, face].T, position.shape[0]), interface_keys)
        cells = position[tetrahedra[resting]]
        heights.append(3 * measures(cells) / measures(cells[:, face]))
    return float(np.median(np.concatenate(heights)))


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
        heights.append(2 * measures(cells) / base)
    return float(np.median(np.concatenate(heights)))


def _elements(dim: int, entities: list[int]) -> np.ndarray:
    """Node tags of the first-order elements on ``entities``, one row per element."""
    rows = []
    for entity in entities:
        _, _, node_tags = gmsh.model.mesh.getElements(dim, entity)
        rows.append(np.asarray(node_tags[0], dtype=np.int64).reshape(-1, dim + 1))
    return np.vstack(rows)


def ladder_table(reports: list[dict], wall_seconds: list[float], cases: Mapping[str, list[str]]) -> pd.DataFrame:
    """One row per geometry and level from the level reports, with the cases that use the
    geometry (``cases``: geometry key -> case names), the meshing wall time and the refinement
    ratio implied by the element counts, r = (N_level / N_previous)^(1/dimension). ``cells``
    counts the elements of either kind: triangles of a 2D section, tetrahedra of a 3D unit cell."""
    rows = []
    for report, seconds in zip(reports, wall_seconds, strict=True):
        row = {
            key: value for key, value in report.items() if not isinstance(value, dict) and key not in io.PROVENANCE_KEYS
        }
        for group, counts in report.items():
            if group.endswith("_per_group"):
                row.update({f"{group.split('_per_')[0]}_{name}": count for name, count in counts.items()})
        dimension = report.get("dimension", 2)
        cells = element_count(report)
        rows.append(
            {
                **row,
                "cases": " ".join(cases[report["geometry"]]),
                "mesh_wall_s": seconds,
                "dimension": dimension,
                "cells": cells,
            }
        )
    table = pd.DataFrame(rows).sort_values(["geometry", "level"], ignore_index=True)
    previous = table.groupby("geometry")["cells"].shift()
    growth = table["cells"] / previous
    table["refinement_ratio_from_counts"] = np.where(table["dimension"] == 3, np.cbrt(growth), np.sqrt(growth))
    return table
