"""Rule field_snapshot: salt concentration in the electrolyte of one case at its production level."""

import logging

import numpy as np
import xarray as xr
from electrolyte3d import fields, io, plots, study

io.log_to(snakemake.log[0])
case = snakemake.wildcards.case
results = xr.load_dataset(snakemake.input.study)
level = int(results.production_level.sel(case=case))
result = xr.load_dataset(snakemake.input.results[level])
time = study.plot_time(results, snakemake.params.plots["time"])
step = int(np.argmin(np.abs(result.time.values - time))) if "time" in result.dims else -1
points, triangles, c, time = fields.read_field(snakemake.input.fields[level], step)
logging.info("%s level %d: c at t = %.6g s on %d triangles", case, level, time, len(triangles))
figure = plots.field_snapshot(result, time, points, triangles, c, str(results.grid_status.sel(case=case).values))
with io.atomic_path(snakemake.output.picture) as partial:
    figure.savefig(partial, dpi=snakemake.params.plots["dpi"])
