"""Rule convergence: the grid analysis of a case with the measured time error of its production
level, the total error bar of every quantity, and the verdict on it."""

import logging

import xarray as xr
from electrolyte3d import convergence, io

io.log_to(snakemake.log[0])
result = convergence.error_budget(xr.load_dataset(snakemake.input.grid), xr.load_dataset(snakemake.input.time_error))
result.attrs.update(io.provenance(dict(snakemake.params.items())))
logging.info("%s: %s; %s", snakemake.wildcards.case, result.attrs["grid_status"], result.attrs["grid_status_message"])
with io.atomic_path(snakemake.output.convergence) as partial:
    result.to_netcdf(partial, format="NETCDF4", engine="netcdf4")
