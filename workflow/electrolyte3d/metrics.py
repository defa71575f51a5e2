"""Interface uniformity metrics (docs/model.md section 5): in 2D the interface as an ordered path
with arc length and length-weighted statistics of piecewise-linear fields along it; in 3D the
interface as a triangulated surface and area-weighted statistics over it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import depth_first_order

from electrolyte3d.geometry import INTERFACE
from electrolyte3d.io import cf_attrs
from electrolyte3d.simplex import measures

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

    dimension_name = "s"
    """The dataset dimension of profiles along the interface."""
    weighting, measure_name, current_units = "length-weighted", "length", "A m-1"
    """How statistics weigh the interface, what its size is, and the units of a current through it
    (per unit depth of the section)."""

    @property
    def length(self) -> float:
        return float(self.s[-1])

    def statistics(self, values: np.ndarray) -> dict[str, float]:
        return along_path(values, self.s)

    def coordinates(self) -> dict:
        """The dataset coordinates of the interface's points."""
        return {
            "s": (
                "s",
                self.s,
                cf_attrs("arc length along the electrolyte/electrode interface from its left end", "m"),
            ),
            "x": ("s", self.x, cf_attrs("horizontal position of the interface point", "m")),
            "y": (
                "s",
                self.y,
                cf_attrs("vertical position of the interface point (0 at the substrate underside)", "m"),
            ),
        }

    def extent(self, top_measure: float, applied_current: float) -> dict[str, float]:
        """The sizes a result records: the interface's and the top's length, the applied current."""
        return {"interface_length_m": self.length, "top_length_m": top_measure, "applied_current_A_m": applied_current}


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
    segments = np.stack([np.arange(values.size - 1), np.arange(1, values.size)])
    return _weighted_statistics(
        values, segments, np.diff(s), lambda ends, band: _fraction_in_band(ends[0], ends[1], -band, band)
    )


def _weighted_statistics(
    values: np.ndarray, simplices: np.ndarray, measures: np.ndarray, fraction_in_band
) -> dict[str, float]:
    """The statistics of :func:`along_path` for a field linear on each simplex (segments or
    triangles; ``simplices``: vertex indices into ``values``, one column each, with their lengths
    or areas ``measures``), exact: on a simplex of k vertices the integral of a linear f squared
    is measure (sum f_i^2 + (sum f_i)^2) / (k (k + 1)). ``fraction_in_band(deviations, band)``
    gives the fraction of each simplex within +-band of the mean from its vertex deviations."""
    vertex = values[simplices]
    total = measures.sum()
    mean = np.sum(measures * vertex.mean(axis=0)) / total
    deviation = vertex - mean
    vertices = simplices.shape[0]
    variance = (
        np.sum(measures * (np.sum(deviation**2, axis=0) + deviation.sum(axis=0) ** 2))
        / (vertices * (vertices + 1))
        / total
    )
    std = np.sqrt(max(variance, 0.0))
    return {
        "mean": mean,
        "min": values.min(),
        "max": values.max(),
        "std": std,
        "cv": std / abs(mean) if mean != 0 else np.inf,
        "within_10pct": np.sum(measures * fraction_in_band(deviation, WITHIN_BAND * abs(mean))) / total,
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


@dataclass(frozen=True)
class InterfaceSurface:
    """The interface of a 3D mesh: its nodes, their coordinates, and its triangles as indices
    into ``nodes`` (so a field sampled at ``nodes`` is linear on each triangle)."""

    nodes: np.ndarray
    points: np.ndarray
    triangles: np.ndarray

    dimension_name = "interface_node"
    weighting, measure_name, current_units = "area-weighted", "area", "A"

    def statistics(self, values: np.ndarray) -> dict[str, float]:
        return over_surface(values, self)

    def coordinates(self) -> dict:
        """The dataset coordinates of the interface's nodes and the area each stands for."""
        return {
            "interface_node": (
                "interface_node",
                np.arange(self.nodes.size),
                {"long_name": "index of the interface node in the interface mesh", "units": "1"},
            ),
            **{
                axis: (
                    "interface_node",
                    self.points[index],
                    cf_attrs(f"{axis} position of the interface node{where}", "m"),
                )
                for index, (axis, where) in enumerate(
                    [("x", ""), ("y", ""), ("z", " (0 at the substrate underside, negative down the pillars)")]
                )
            },
            "interface_node_area": (
                "interface_node",
                self.node_areas,
                cf_attrs("interface area the node stands for (a third of each triangle at it)", "m2"),
            ),
        }

    def extent(self, top_measure: float, applied_current: float) -> dict[str, float]:
        return {"interface_area_m2": self.area, "top_area_m2": top_measure, "applied_current_A": applied_current}

    @property
    def triangle_areas(self) -> np.ndarray:
        return measures(self.points[:, self.triangles].T)

    @property
    def node_areas(self) -> np.ndarray:
        """A third of the area of every triangle at a node (the lumped weight of the node), m2."""
        return np.bincount(
            self.triangles.ravel(), weights=np.tile(self.triangle_areas / 3, 3), minlength=self.nodes.size
        )

    @property
    def area(self) -> float:
        return float(self.triangle_areas.sum())


def interface_surface(mesh) -> InterfaceSurface:
    facets = mesh.facets[:, mesh.boundaries[INTERFACE]]
    nodes, local = np.unique(facets, return_inverse=True)
    return InterfaceSurface(nodes=nodes, points=mesh.p[:, nodes], triangles=local.reshape(facets.shape))


INTERFACES = {2: interface_path, 3: interface_surface}
"""How to walk a mesh's interface, by the mesh's dimension: a path in 2D, a surface in 3D."""


def interface_of(mesh) -> InterfacePath | InterfaceSurface:
    """The interface of a 2D or 3D electrolyte mesh, with its statistics and dataset coordinates."""
    return INTERFACES[mesh.dim()](mesh)


def over_surface(values: np.ndarray, surface: InterfaceSurface) -> dict[str, float]:
    """Area-weighted statistics of a field that is linear on each interface triangle, given at
    the surface's nodes: the same keys as :func:`along_path`, exact for the piecewise-linear field."""
    return _weighted_statistics(
        values,
        surface.triangles,
        surface.triangle_areas,
        lambda deviations, band: (
            _triangle_fraction_above(deviations, -band) - _triangle_fraction_above(deviations, band)
        ),
    )


def _triangle_fraction_above(values: np.ndarray, threshold: float) -> np.ndarray:
    """Fraction of each triangle's area where a linear field with vertex ``values`` (3, triangles)
    exceeds ``threshold``, exact: with sorted vertex values f1 <= f2 <= f3, the part above t is
    1 - (t - f1)^2 / ((f2 - f1)(f3 - f1)) for f1 < t <= f2 and (f3 - t)^2 / ((f3 - f1)(f3 - f2))
    for f2 < t < f3."""
    f1, f2, f3 = np.sort(values, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = 1 - (threshold - f1) ** 2 / ((f2 - f1) * (f3 - f1))
        upper = (f3 - threshold) ** 2 / ((f3 - f1) * (f3 - f2))
    lower = np.where(f2 > f1, lower, 1.0)  # t = f1 = f2 < f3: all but an edge is above
    return np.select([threshold < f1, threshold >= f3, threshold <= f2], [1.0, 0.0, lower], default=upper)


def depth_average_operator(mesh, depths: np.ndarray) -> sp.csr_matrix:
    """Matrix A (depth, node) such that A @ f is the average of a P1 field f along the
    horizontal line at each depth (y = -depth) through the mesh: the exact line integral of the
    piecewise-linear field over the line's length inside the mesh. A line cuts a triangle on the
    two edges whose end points lie on opposite sides of it (half-open, so a vertex on the line
    counts once); the field is linear between the two crossings."""
    points, triangles = mesh.p, mesh.t
    rows, cols, weights = [], [], []
    for row, depth in enumerate(depths):
        below = points[1, triangles] < -depth  # (3, triangles)
        cut = np.flatnonzero(below.any(axis=0) & ~below.all(axis=0))
        edges = []  # per edge of the cut triangles: end nodes, where it crosses, whether it does
        for first, second in ((0, 1), (1, 2), (2, 0)):
            a, b = triangles[first, cut], triangles[second, cut]
            crossing = below[first, cut] != below[second, cut]
            rise = np.where(crossing, points[1, b] - points[1, a], 1.0)
            fraction = np.where(crossing, (-depth - points[1, a]) / rise, 0.0)
            edges.append((a, b, fraction, points[0, a] + fraction * (points[0, b] - points[0, a]), crossing))
        x = np.array([edge[3] for edge in edges])
        crosses = np.array([edge[4] for edge in edges])
        length = np.where(crosses, x, -np.inf).max(axis=0) - np.where(crosses, x, np.inf).min(axis=0)
        total = length.sum()
        if total == 0:
            raise ValueError(f"the line at depth {depth:.6g} m does not cross the mesh")
        for a, b, fraction, _, crossing in edges:
            half = length[crossing] / (2 * total)
            rows.append(np.full(2 * half.size, row))
            cols.append(np.concatenate([a[crossing], b[crossing]]))
            weights.append(np.concatenate([(1 - fraction[crossing]) * half, fraction[crossing] * half]))
    return sp.csr_matrix(
        (np.concatenate(weights), (np.concatenate(rows), np.concatenate(cols))), shape=(len(depths), mesh.nvertices)
    )


def area_fraction_above(mesh, values: np.ndarray, threshold: float) -> float:
    """Fraction of a triangle mesh's area where the P1 field ``values`` exceeds ``threshold``, exact."""
    area = measures(mesh.p[:, mesh.t].T)
    return float(np.sum(area * _triangle_fraction_above(values[mesh.t], threshold)) / area.sum())
