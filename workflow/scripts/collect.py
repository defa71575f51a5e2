"""Rule collect: every case at its production level in one dataset (results/study.nc) and a
summary table; refuses results made with other parameters than the current config's."""

import logging
from pathlib import Path

import xarray as xr
from electrolyte3d import io, study, summary

io.log_to(snakemake.log[0])
cases = snakemake.params.cases
expected = snakemake.params.expected
convergence_files = {Path(path).parent.name: path for path in snakemake.input.convergences}
level_files = {(Path(path).parts[-3], Path(path).stem): path for path in snakemake.input.results}
convergences, results = {}, {}
for case in cases:
    convergences[case] = xr.load_dataset(convergence_files[case])
    study.check_current(convergences[case], expected[case]["convergence"], convergence_files[case])
    level = convergences[case].attrs["production_level"]
    path = level_files[case, f"level{level}"]
    results[case] = xr.load_dataset(path)
    study.check_current(results[case], expected[case]["solve"], path)
    logging.info("%s: level %d (%s)", case, level, convergences[case].attrs["grid_status"])
dataset = study.build(cases, convergences, results, io.provenance(dict(snakemake.params.items())))
study.write(dataset, snakemake.output.study)
table = summary.summary(dataset, snakemake.params.invalid)
with io.atomic_path(snakemake.output.summary) as partial:
    table.to_csv(partial, index=False)
logging.info("\n%s", table.to_string(index=False))
