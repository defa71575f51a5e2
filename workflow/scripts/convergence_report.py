"""Rule convergence_report: one table of every case's ladder (element counts, mean interface c, GCI,
chosen level) and the verdicts in plain words for the report."""

from pathlib import Path

import pandas as pd
import xarray as xr
from electrolyte3d import convergence, io

io.log_to(snakemake.log[0])
results = [xr.load_dataset(path) for path in snakemake.input.convergences]
table = pd.concat([convergence.table(result, convergence.latest_common_time(result)) for result in results])
with io.atomic_path(snakemake.output.table) as partial:
    table.to_csv(partial, index=False)
with io.atomic_path(snakemake.output.verdicts) as partial:
    Path(partial).write_text(convergence.verdicts_html(results, table))
print(table.to_string(index=False))
