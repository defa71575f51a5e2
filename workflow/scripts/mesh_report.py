"""Rule mesh_report: one table of every geometry's mesh ladder (counts, quality, meshing time)."""

import pandas as pd
from electrolyte3d import io, mesh_quality

io.log_to(snakemake.log[0])
table = mesh_quality.ladder_table(
    [io.read_json(path) for path in snakemake.input.reports],
    [pd.read_csv(path, sep="\t")["s"].iloc[0] for path in snakemake.input.benchmarks],
    snakemake.params.cases,
)
with io.atomic_path(snakemake.output.table) as partial:
    table.to_csv(partial, index=False)
print(table.to_string(index=False))
