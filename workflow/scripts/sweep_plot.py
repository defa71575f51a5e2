"""Rule sweep_plot: interface CV and depletion time over what one sweep varies."""

import xarray as xr
from electrolyte3d import io, plots, study

io.log_to(snakemake.log[0])
dataset = xr.load_dataset(snakemake.input.study)
figure = plots.sweep(dataset, snakemake.wildcards.sweep, study.plot_time(dataset, snakemake.params.plots["time"]))
with io.atomic_path(snakemake.output.picture) as partial:
    figure.savefig(partial, dpi=snakemake.params.plots["dpi"])
