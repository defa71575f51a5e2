"""Rule mesh_preview: picture of a geometry's coarsest mesh, loaded the way the solver loads it."""

from electrolyte3d import io, mesh, plots

io.log_to(snakemake.log[0])
figure = plots.mesh_preview(mesh.load(snakemake.input.mesh), title=f"geometry {snakemake.wildcards.geometry}")
with io.atomic_path(snakemake.output.picture) as partial:
    figure.savefig(partial, dpi=snakemake.params.dpi)
