"""Measures of simplices: the lengths of segments, the areas of triangles (in a plane or in
space), the volumes of tetrahedra and the angles of triangles and tetrahedra, vectorised over many
at once. The meshing, the mesh reports and the interface metrics measure their elements with it."""

import itertools

import numpy as np


def measures(vertices: np.ndarray) -> np.ndarray:
    """Lengths, areas or volumes of simplices given as an (n, k, d) array: n simplices of k
    vertices (2, 3 or 4) in d dimensions (2 or 3)."""
    edges = vertices[:, 1:] - vertices[:, :1]
    vertex_count, dimension = vertices.shape[1:]
    if vertex_count == 2:
        return np.linalg.norm(edges[:, 0], axis=1)
    if vertex_count == 3 and dimension == 2:
        return 0.5 * np.abs(edges[:, 0, 0] * edges[:, 1, 1] - edges[:, 0, 1] * edges[:, 1, 0])
    if vertex_count == 3:
        return 0.5 * np.linalg.norm(np.cross(edges[:, 0], edges[:, 1]), axis=1)
    if vertex_count == 4 and dimension == 3:
        return np.abs(np.linalg.det(edges)) / 6
    raise ValueError(f"no measure for simplices of {vertex_count} vertices in {dimension} dimensions")


def triangle_angles(vertices: np.ndarray) -> np.ndarray:
    """Interior angles (degrees) of triangles given as an (n, 3, 2) array of vertex coordinates."""
    edges = np.roll(vertices, -1, axis=1) - vertices
    incoming, outgoing = -np.roll(edges, 1, axis=1), edges
    cosine = np.einsum("nij,nij->ni", incoming, outgoing) / (
        np.linalg.norm(incoming, axis=2) * np.linalg.norm(outgoing, axis=2)
    )
    return np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0)))


def tetrahedron_dihedral_angles(vertices: np.ndarray) -> np.ndarray:
    """The six dihedral angles (degrees) of tetrahedra given as an (n, 4, 3) array of vertex
    coordinates: pi minus the angle between the outward normals of the two faces at each edge."""
    normals = []
    for opposite in range(4):
        face = [vertex for vertex in range(4) if vertex != opposite]
        normal = np.cross(vertices[:, face[1]] - vertices[:, face[0]], vertices[:, face[2]] - vertices[:, face[0]])
        # orient away from the opposite vertex
        outward = np.sign(np.einsum("ni,ni->n", normal, vertices[:, face[0]] - vertices[:, opposite]))
        normals.append(normal * (outward / np.linalg.norm(normal, axis=1))[:, None])
    angles = [
        np.pi - np.arccos(np.clip(np.einsum("ni,ni->n", normals[first], normals[second]), -1.0, 1.0))
        for first, second in itertools.combinations(range(4), 2)
    ]
    return np.degrees(np.stack(angles, axis=1))
