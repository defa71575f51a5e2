"""Figures of the workflow's products (matplotlib/seaborn; axes labelled with units)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
import skfem
from matplotlib.collections import LineCollection
from matplotlib.tri import Triangulation

from electrolyte3d.config import UM
from electrolyte3d.geometry import ELECTRODE, ELECTROLYTE, INTERFACE, TOP

SUBDOMAIN_COLOURS = {ELECTROLYTE: "#9ecae1", ELECTRODE: "#d9d9d9"}
BOUNDARY_COLOURS = {INTERFACE: "#d62728", TOP: "#e6b800"}
"""The paper's convention (Fig. S29): interface in red, top (applied current, c0) in yellow."""


def mesh_preview(mesh: skfem.MeshTri, title: str, zoom_half_width: float = 40 * UM):
    """Whole cross-section with subdomains and tagged boundaries, and a zoom on the mesh
    around the first pillar root (or the interface middle for a planar film)."""
    sns.set_theme(style="white", context="paper")
    points = mesh.p / UM
    figure, (whole, zoom) = plt.subplots(
        1, 2, figsize=(11, 3.6), gridspec_kw={"width_ratios": [2.2, 1]}, layout="constrained"
    )
    for name, colour in SUBDOMAIN_COLOURS.items():
        cells = mesh.t[:, mesh.subdomains[name]]
        triangulation = Triangulation(points[0], points[1], cells.T)
        whole.tripcolor(triangulation, np.zeros(cells.shape[1]), cmap=_flat(colour), label=name)
        zoom.triplot(triangulation, color="0.35", linewidth=0.25)
        zoom.tripcolor(triangulation, np.zeros(cells.shape[1]), cmap=_flat(colour), alpha=0.6)
    for name, colour in BOUNDARY_COLOURS.items():
        segments = points[:, mesh.facets[:, mesh.boundaries[name]]].transpose(2, 1, 0)
        for axes in (whole, zoom):
            axes.add_collection(LineCollection(segments, colors=colour, linewidths=1.5, label=name))

    centre = _zoom_centre(mesh) / UM
    half = zoom_half_width / UM
    zoom.set_xlim(centre[0] - half, centre[0] + half)
    zoom.set_ylim(centre[1] - half, centre[1] + half)
    for axes in (whole, zoom):
        axes.set_aspect("equal")
        axes.set_xlabel("x [um]")
        axes.set_ylabel("y [um]")
    whole.set_title(f"{title}: {mesh.t.shape[1]:,} triangles")
    zoom.set_title("mesh near a pillar root" if _has_pillars(mesh) else "mesh at the interface")
    handles = [plt.Rectangle((0, 0), 1, 1, color=colour) for colour in SUBDOMAIN_COLOURS.values()]
    handles += [plt.Line2D([], [], color=colour, linewidth=2) for colour in BOUNDARY_COLOURS.values()]
    whole.legend(
        handles,
        [*SUBDOMAIN_COLOURS, *BOUNDARY_COLOURS],
        loc="lower left",
        fontsize="small",
        framealpha=0.9,
    )
    return figure


def _flat(colour: str):
    return matplotlib.colors.ListedColormap([colour])


def _has_pillars(mesh: skfem.MeshTri) -> bool:
    interface_nodes = mesh.facets[:, mesh.boundaries[INTERFACE]]
    return bool(np.ptp(mesh.p[1, interface_nodes]) > 0)


def _zoom_centre(mesh: skfem.MeshTri) -> np.ndarray:
    """The leftmost pillar root (left edge of the leftmost pillar, at y = 0), or the interface
    middle for a planar film."""
    x, y = mesh.p[:, np.unique(mesh.facets[:, mesh.boundaries[INTERFACE]])]
    on_pillars = x[y < 0]
    return np.array([on_pillars.min() if on_pillars.size else x.mean(), 0.0])
