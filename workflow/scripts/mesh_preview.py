"""Rule mesh_preview: picture of a geometry's coarsest mesh, loaded the way the solver loads it
(a 2D section's triangles, or a 3D unit cell's boundary triangles)."""

import matplotlib.pyplot as plt
import numpy as np
import skfem
from matplotlib.colors import ListedColormap
from matplotlib.tri import Triangulation
from mpl_toolkits.mplot3d.art3d import Poly3DCollection

from electrolyte3d import io, mesh, plots
from electrolyte3d.config import UM
from electrolyte3d.geometry import ELECTRODE, ELECTROLYTE, INSULATION, INTERFACE


def cell_preview(whole: skfem.MeshTet, title: str):
    """A unit cell's interface triangles seen from below, the pillars hanging into the
    electrode (matplotlib draws no hidden faces, so the insulated mirror faces are left out), and
    the mesh on the mirror plane y = 0 through a pillar axis, coloured by subdomain."""
    figure = plt.figure(figsize=(11, 5.5), layout="constrained")
    below = figure.add_subplot(1, 2, 1, projection="3d")
    triangles = (whole.p[:, whole.facets[:, whole.boundaries[INTERFACE]]] / UM).transpose(2, 1, 0)
    below.add_collection3d(
        Poly3DCollection(triangles, facecolors=plots.BOUNDARY_COLOURS[INTERFACE], edgecolors="0.15", linewidths=0.15)
    )
    low, high = triangles.min(axis=(0, 1)), triangles.max(axis=(0, 1))
    below.set(xlim=(low[0], high[0]), ylim=(low[1], high[1]), zlim=(low[2], high[2]))
    below.set_box_aspect(np.maximum(high - low, 0.05 * (high - low).max()))
    below.view_init(elev=-30, azim=-135)
    below.set(xlabel="x [um]", ylabel="y [um]", zlabel="z [um]")
    below.set_title(
        f"interface from below: {whole.boundaries[INTERFACE].size:,} triangles\n"
        f"{whole.subdomains[ELECTROLYTE].size:,} of {whole.nelements:,} tetrahedra in the electrolyte",
        fontsize="medium",
    )

    section = figure.add_subplot(1, 2, 2)
    in_electrolyte = np.zeros(whole.nelements, dtype=bool)
    in_electrolyte[whole.subdomains[ELECTROLYTE]] = True
    on_plane = whole.boundaries[INSULATION][np.all(np.abs(whole.p[1, whole.facets[:, whole.boundaries[INSULATION]]]) < 1e-3 * UM, axis=0)]
    for name, inside in ((ELECTROLYTE, True), (ELECTRODE, False)):
        facets = whole.facets[:, on_plane[in_electrolyte[whole.f2t[0, on_plane]] == inside]]
        triangulation = Triangulation(whole.p[0] / UM, whole.p[2] / UM, facets.T)
        section.tripcolor(triangulation, np.zeros(facets.shape[1]), cmap=ListedColormap([plots.SUBDOMAIN_COLOURS[name]]))
        section.triplot(triangulation, color="0.3", linewidth=0.2)
    section.set_aspect("equal")
    section.set(xlabel="x [um]", ylabel="z [um]", title="mirror plane y = 0")
    colours = {INTERFACE: plots.BOUNDARY_COLOURS[INTERFACE], **plots.SUBDOMAIN_COLOURS}
    handles = [plt.Rectangle((0, 0), 1, 1, color=colour) for colour in colours.values()]
    figure.legend(handles, list(colours), loc="outside lower center", ncols=len(colours), fontsize="small")
    figure.suptitle(title)
    return figure


io.log_to(snakemake.log[0])
loaded = mesh.load(snakemake.input.mesh)
title = f"geometry {snakemake.wildcards.geometry}"
figure = cell_preview(loaded, title) if loaded.dim() == 3 else plots.mesh_preview(loaded, title=title)
with io.atomic_path(snakemake.output.picture) as partial:
    figure.savefig(partial, dpi=snakemake.params.dpi)
