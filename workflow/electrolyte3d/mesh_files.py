"""A level's mesh as files: the gmsh .msh (metres, physical groups) and each part (electrolyte,
electrode) as plain arrays in an .npz that loads in milliseconds, with its boundaries found again
by their facets' vertices."""

from __future__ import annotations

from dataclasses import dataclass

import gmsh
import numpy as np
import skfem
from scipy.spatial import cKDTree

from electrolyte3d import io
from electrolyte3d.geometry import ELECTRODE, ELECTROLYTE, GMSH_LENGTH_UNIT, INTERFACE, PHYSICAL_GROUPS, TOP
from electrolyte3d.shapes import ELEMENT_NOUNS


def write(path: str) -> None:
    """Write the current mesh in metres, gmsh 4.1 binary format, physical groups only."""
    gmsh.option.setNumber("Mesh.MshFileVersion", 4.1)
    gmsh.option.setNumber("Mesh.Binary", 1)
    gmsh.option.setNumber("Mesh.SaveAll", 0)
    gmsh.option.setNumber("Mesh.ScalingFactor", GMSH_LENGTH_UNIT)
    gmsh.write(path)


def load(path: str) -> skfem.MeshTri | skfem.MeshTet:
    """A scikit-fem mesh (metres) with ``subdomains`` and ``boundaries`` keyed by physical group
    name: a ``MeshTri`` of a 2D section or a ``MeshTet`` of a 3D unit cell (whichever the file holds)."""
    mesh = skfem.Mesh.load(path)
    missing = set(PHYSICAL_GROUPS) - set(mesh.subdomains or {}) - set(mesh.boundaries or {})
    if missing:
        raise ValueError(f"{path}: mesh lacks physical group(s) {sorted(missing)}")
    return mesh


@dataclass(repr=False)
class LayeredMeshTet(skfem.MeshTet):
    """A tetrahedral mesh whose nodes carry the lumped mass its mesher computed (m3): a prism
    layer's nodes need a sixth of each prism, which its tetrahedra alone do not tell
    (:func:`electrolyte3d.prism_layer.lumped_mass`)."""

    lumped_mass: np.ndarray | None = None


def part(path: str, subdomain: str) -> skfem.MeshTri | skfem.MeshTet:
    """The ``electrolyte`` or ``electrode`` part of a level's mesh, keeping its boundaries."""
    return load(path).restrict(subdomain)


SOLVED_BOUNDARIES = {ELECTROLYTE: (INTERFACE, TOP), ELECTRODE: (INTERFACE,)}
"""The boundaries each part's equations need."""


def save_part(mesh: skfem.MeshTri | skfem.MeshTet, subdomain: str, path: str, lumped_mass: tuple | None = None) -> None:
    """A part of the mesh as plain arrays (points, triangles or tetrahedra, and the vertices of
    each boundary facet: pairs in 2D, triples in 3D), which load in milliseconds where restricting
    the .msh takes seconds; with ``lumped_mass`` (the mesher's node coordinates and masses, m and
    m3) each node's lumped mass, found by its coordinates."""
    facets = {f"boundary_{name}": mesh.facets[:, mesh.boundaries[name]] for name in SOLVED_BOUNDARIES[subdomain]}
    extra = {} if lumped_mass is None else {"lumped_mass": values_at(mesh.p.T, *lumped_mass)}
    with io.atomic_path(path) as partial:
        np.savez(partial, points=mesh.p, **{ELEMENT_NOUNS[mesh.dim()]: mesh.t}, **facets, **extra)


def values_at(points: np.ndarray, known_points: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values`` (given at ``known_points``) at each of ``points``, which must be among them (to
    1e-9 of the coordinates' size): a node's data across meshers that number nodes apart."""
    distance, index = cKDTree(known_points).query(points)
    if distance.max() > 1e-9 * np.abs(known_points).max():
        point = int(distance.argmax())
        raise ValueError(f"point {point} at {points[point].tolist()} is none of the known points")
    return values[index]


def load_part(path: str) -> skfem.MeshTri | skfem.MeshTet:
    """A mesh written by :func:`save_part`, its boundaries found again by their facets' vertices."""
    with np.load(path) as data:
        if ELEMENT_NOUNS[3] in data.files:
            lumped_mass = data["lumped_mass"] if "lumped_mass" in data.files else None
            mesh = LayeredMeshTet(data["points"], data[ELEMENT_NOUNS[3]], lumped_mass=lumped_mass)
        else:
            mesh = skfem.MeshTri(data["points"], data[ELEMENT_NOUNS[2]])
        keys = facet_keys(mesh.facets, mesh.nvertices)
        order = np.argsort(keys)
        boundaries = {}
        for key in data.files:
            if not key.startswith("boundary_"):
                continue
            name = key.removeprefix("boundary_")
            wanted = facet_keys(data[key], mesh.nvertices)
            found = order[np.searchsorted(keys, wanted, sorter=order)]
            if not np.array_equal(keys[found], wanted):
                raise ValueError(f"{path}: boundary {name} names facets the mesh does not have")
            boundaries[name] = found
    return mesh.with_boundaries(boundaries)


def facet_keys(facets: np.ndarray, vertices: int) -> np.ndarray:
    """One integer per facet (a column of vertex indices: a pair or a triple), whatever the order
    of its vertices."""
    if int(vertices) ** facets.shape[0] >= 2**63:
        raise ValueError(f"facet keys of a mesh of {vertices} vertices overflow 64-bit integers")
    ordered = np.sort(facets, axis=0).astype(np.int64)
    keys = ordered[0]
    for row in ordered[1:]:
        keys = keys * vertices + row
    return keys
