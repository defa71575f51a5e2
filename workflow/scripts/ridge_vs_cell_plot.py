"""Rule ridge_vs_cell_plot: 2D ridges against 3D unit cells of the same pillar size and pitch,
as a figure and as the table of each cell minus its ridge."""

import xarray as xr
from electrolyte3d import io, plots, study, summary

io.log_to(snakemake.log[0])
dataset = xr.load_dataset(snakemake.input.study)
time = study.plot_time(dataset, snakemake.params.plots["time"])
with io.atomic_path(snakemake.output.table) as partial:
    summary.ridge_cell_table(dataset, time).to_csv(partial, index=False)
figure = plots.ridge_against_cell(dataset, time)
with io.atomic_path(snakemake.output.picture) as partial:
    figure.savefig(partial, dpi=snakemake.params.plots["dpi"])
