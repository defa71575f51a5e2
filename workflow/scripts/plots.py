"""Rule plots: interface profiles per design and uniformity metrics over time."""

import xarray as xr
from electrolyte3d import io, plots, study

io.log_to(snakemake.log[0])
dataset = xr.load_dataset(snakemake.input.study)
time = study.plot_time(dataset, snakemake.params.plots["time"])
for figure, path in (
    (plots.interface_profiles(dataset, time), snakemake.output.profiles),
    (plots.uniformity(dataset), snakemake.output.uniformity),
):
    with io.atomic_path(path) as partial:
        figure.savefig(partial, dpi=snakemake.params.plots["dpi"])
