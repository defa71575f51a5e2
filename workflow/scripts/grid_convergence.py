"""Checkpoint grid_convergence: grid independence of one case over its mesh ladder (relative
changes, GCI, production level); the production level decides which level's time error is measured."""

import logging

import xarray as xr
from electrolyte3d import convergence, io

io.log_to(snakemake.log[0])
levels = [xr.load_dataset(path) for path in snakemake.input.results]
result = convergence.analyse(levels, **snakemake.params.convergence)
result.attrs.update(io.provenance(dict(snakemake.params.items())))
logging.info("%s: %s; %s", snakemake.wildcards.case, result.attrs["grid_status"], result.attrs["grid_status_message"])
logging.info("\n%s", convergence.table(result, convergence.latest_common_time(result)).to_string(index=False))
with io.atomic_path(snakemake.output.convergence) as partial:
    result.to_netcdf(partial, format="NETCDF4", engine="netcdf4")
