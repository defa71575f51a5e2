"""Measures of simplices: the lengths of segments, the areas of triangles (in a plane or in
space) and the volumes of tetrahedra, vectorised over many at once. The mesh reports and the
interface metrics measure their elements with it."""

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
