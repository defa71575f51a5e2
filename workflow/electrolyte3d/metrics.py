"""Interface uniformity metrics: the interface as an ordered path with arc length, and
length-weighted statistics of piecewise-linear fields along it (model.md section 5)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import depth_first_order

from electrolyte3d.geometry import INTERFACE

WITHIN_BAND = 0.1
"""Half-width of the band around the mean counted by ``within_10pct``, relative to the mean."""


@dataclass(frozen=True)
class InterfacePath:
    """Interface nodes in order from the left end (x = -L/2) to the right end, and their arc
    length s (m) from the left end; the path runs along the substrate underside and around
    every pillar."""

    nodes: np.ndarray
    s: np.ndarray
    x: np.ndarray
    y: np.ndarray

    @property
    def length(self) -> float:
        return float(self.s[-1])


def interface_path(mesh) -> InterfacePath:
    """Order the interface facets of ``mesh`` into one path (a depth-first walk of the facet
    graph from its leftmost end, which for a simple path visits the nodes in order)."""
    edges = mesh.facets[:, mesh.boundaries[INTERFACE]]
    nodes = np.unique(edges)
    degree = np.bincount(edges.ravel(), minlength=mesh.nvertices)[nodes]
    ends = nodes[degree == 1]
    if ends.size != 2 or np.any(degree > 2):
        raise ValueError(f"the interface is not one open path (ends {ends.size}, max node degree {degree.max()})")
    graph = sp.coo_matrix((np.ones(edges.shape[1]), (edges[0], edges[1])), shape=(mesh.nvertices,) * 2)
    start = ends[np.argmin(mesh.p[0, ends])]
    order = depth_first_order(graph, start, directed=False, return_predecessors=False)
    points = mesh.p[:, order]
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(points, axis=1), axis=0))])
    return InterfacePath(nodes=order, s=s, x=points[0], y=points[1])


def along_path(values: np.ndarray, s: np.ndarray) -> dict[str, float]:
    """Length-weighted statistics of a field that is linear between the nodes at arc lengths s:
    mean, min, max, std, cv (std / mean), and within_10pct (fraction of the length within
    +-10 % of the mean). Integrals are exact for piecewise-linear fields."""
    lengths = np.diff(s)
    left, right = values[:-1], values[1:]
    total = lengths.sum()
    mean = np.sum(lengths * (left + right) / 2) / total
    a, b = left - mean, right - mean
    variance = np.sum(lengths * (a * a + a * b + b * b) / 3) / total
    std = np.sqrt(max(variance, 0.0))
    band = WITHIN_BAND * abs(mean)
    return {
        "mean": mean,
        "min": values.min(),
        "max": values.max(),
        "std": std,
        "cv": std / abs(mean) if mean != 0 else np.inf,
        "within_10pct": np.sum(lengths * _fraction_in_band(a, b, -band, band)) / total,
    }


def _fraction_in_band(a: np.ndarray, b: np.ndarray, low: float, high: float) -> np.ndarray:
    """Fraction of each segment (linear from a to b) where low <= value <= high."""
    slope = b - a
    flat = np.abs(slope) <= 1e-300
    safe = np.where(flat, 1.0, slope)
    enter = (low - a) / safe
    leave = (high - a) / safe
    start = np.clip(np.minimum(enter, leave), 0.0, 1.0)
    stop = np.clip(np.maximum(enter, leave), 0.0, 1.0)
    inside_flat = ((a >= low) & (a <= high)).astype(float)
    return np.where(flat, inside_flat, stop - start)
