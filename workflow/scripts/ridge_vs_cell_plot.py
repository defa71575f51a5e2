"""Rule ridge_vs_cell_plot: 2D ridges against 3D unit cells of the same pillar size and pitch."""

import xarray as xr
from electrolyte3d import io, plots, study

io.log_to(snakemake.log[0])
dataset = xr.load_dataset(snakemake.input.study)
figure = plots.ridge_against_cell(dataset, study.plot_time(dataset, snakemake.params.plots["time"]))
with io.atomic_path(snakemake.output.picture) as partial:
    figure.savefig(partial, dpi=snakemake.params.plots["dpi"])
