"""Rule convergence: the last grid study of a case's ladder with the measured time error of its
production level, the total error bar of every quantity, why the ladder stopped, and the verdict."""

import logging

import xarray as xr
from electrolyte3d import convergence, io, ladder

io.log_to(snakemake.log[0])
grid = xr.load_dataset(snakemake.input.grid)
limits = snakemake.params.ladder
stop = ladder.stop(
    grid.attrs["grid_status"],
    grid.sizes["level"],
    ladder.LadderLimits(limits["max_levels"], limits["max_level_memory_mb"], limits["memory_cap_key"]),
    limits["level_memory_mb"],
)
result = convergence.error_budget(grid, xr.load_dataset(snakemake.input.time_error))
ladder.record(result, stop)
result.attrs.update(io.provenance(dict(snakemake.params.items())))
logging.info("%s: %s; %s", snakemake.wildcards.case, result.attrs["grid_status"], result.attrs["grid_status_message"])
with io.atomic_path(snakemake.output.convergence) as partial:
    result.to_netcdf(partial, format="NETCDF4", engine="netcdf4")
