"""Rule field_snapshot: salt concentration in the electrolyte of one case at its production level."""

import logging

import xarray as xr

from electrolyte3d import dataset, io, plots, study

io.log_to(snakemake.log[0])
case = snakemake.wildcards.case
results = xr.load_dataset(snakemake.input.study)
level = int(results.production_level.sel(case=case))
points, triangles, c, time = dataset.read_field(
    snakemake.input.fields[level], study.plot_time(results, snakemake.params.plots["time"]) or 0.0
)
logging.info("%s level %d: c at t = %.6g s on %d triangles", case, level, time, len(triangles))
figure = plots.field_snapshot(
    xr.load_dataset(snakemake.input.results[level]), time, points, triangles, c, str(results.grid_status.sel(case=case).values)
)
with io.atomic_path(snakemake.output.picture) as partial:
    figure.savefig(partial, dpi=snakemake.params.plots["dpi"])
