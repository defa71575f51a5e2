"""Rule convergence_plot: a case's quantities against mesh size, with the extrapolated values."""

import xarray as xr
from electrolyte3d import convergence, io, plots

io.log_to(snakemake.log[0])
result = xr.load_dataset(snakemake.input.convergence)
figure = plots.convergence(result, convergence.latest_common_time(result))
with io.atomic_path(snakemake.output.picture) as partial:
    figure.savefig(partial, dpi=snakemake.params.dpi)
