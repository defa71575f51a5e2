"""Rule collect: every case at its production level in one dataset (results/study.nc) and a summary table."""

import logging
from pathlib import Path

import xarray as xr

from electrolyte3d import io, study

io.log_to(snakemake.log[0])
cases = snakemake.params.cases
convergences = {Path(path).parent.name: xr.load_dataset(path) for path in snakemake.input.convergences}
level_files = {(Path(path).parts[-3], Path(path).stem): path for path in snakemake.input.results}
results = {}
for case in cases:
    level = convergences[case].attrs["production_level"]
    results[case] = xr.load_dataset(level_files[case, f"level{level}"])
    logging.info("%s: level %d (%s)", case, level, convergences[case].attrs["grid_status"])
dataset = study.build(cases, convergences, results, {"config_sha256": snakemake.params.fingerprint, **io.provenance()})
study.write(dataset, snakemake.output.study)
table = study.summary(dataset, snakemake.params.invalid)
with io.atomic_path(snakemake.output.summary) as partial:
    table.to_csv(partial, index=False)
logging.info("\n%s", table.to_string(index=False))
