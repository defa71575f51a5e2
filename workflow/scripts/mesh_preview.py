"""Rule mesh_preview: picture of a geometry's coarsest mesh, loaded the way the solver loads it
(a 2D section's triangles, or a 3D unit cell's boundary triangles)."""

from electrolyte3d import io, mesh_files, plots

io.log_to(snakemake.log[0])
loaded = mesh_files.load(snakemake.input.mesh)
title = f"geometry {snakemake.wildcards.geometry}"
figure = plots.cell_preview(loaded, title) if loaded.dim() == 3 else plots.mesh_preview(loaded, title=title)
with io.atomic_path(snakemake.output.picture) as partial:
    figure.savefig(partial, dpi=snakemake.params.dpi)
