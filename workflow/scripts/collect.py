"""Rule collect: every case at its production level in one dataset (results/study.nc) and a
summary table; a case solved on one level borrows its reference's error bars. Refuses results
made with other parameters than the current config's."""

import logging
from pathlib import Path

import xarray as xr
from electrolyte3d import borrowed, io, study, summary
from electrolyte3d.resolution import Resolution

io.log_to(snakemake.log[0])
cases = snakemake.params.cases
expected = snakemake.params.expected
criterion = snakemake.params.convergence
convergence_files = {Path(path).parent.name: path for path in snakemake.input.convergences}
solves = {}
for path in snakemake.input.results:
    solves.setdefault(Path(path).parts[-3], []).append(path)


def solved(case: str, path: str) -> xr.Dataset:
    result = xr.load_dataset(path)
    study.check_current(result, expected[case]["solve"], path)
    return result


convergences, results = {}, {}
for case in convergence_files:
    convergences[case] = xr.load_dataset(convergence_files[case])
    study.check_current(convergences[case], expected[case]["convergence"], convergence_files[case])
for case in cases:
    resolution = Resolution(**snakemake.params.resolutions[case])
    paths = sorted(solves[case], key=lambda path: int(Path(path).stem.removeprefix("level")))
    levels = [solved(case, path) for path in paths]
    if not resolution.has_ladder:
        convergences[case] = borrowed.borrowed_convergence(
            levels,
            [int(Path(path).stem.removeprefix("level")) for path in paths],
            convergences.get(resolution.reference),
            criterion["criterion"],
            criterion["tolerance"],
        )
    results[case] = levels[-1]
    logging.info(
        "%s: level %d (%s)", case, convergences[case].attrs["production_level"], convergences[case].attrs["grid_status"]
    )
dataset = study.build(cases, convergences, results, io.provenance(dict(snakemake.params.items())))
study.write(dataset, snakemake.output.study)
table = summary.summary(dataset, snakemake.params.invalid)
with io.atomic_path(snakemake.output.summary) as partial:
    table.to_csv(partial, index=False)
logging.info("\n%s", table.to_string(index=False))
