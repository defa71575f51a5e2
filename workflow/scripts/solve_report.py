"""Rule solve_report: one table of every solve (status, depletion time, uniformity, solver cost)."""

import pandas as pd
import xarray as xr
from electrolyte3d import dataset, io

io.log_to(snakemake.log[0])
datasets = [xr.load_dataset(path) for path in snakemake.input.results]
benchmarks = [pd.read_csv(path, sep="\t") for path in snakemake.input.benchmarks]
table = dataset.solve_table(datasets, benchmarks)
with io.atomic_path(snakemake.output.table) as partial:
    table.to_csv(partial, index=False)
print(table.to_string(index=False))
