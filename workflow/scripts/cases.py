"""Rule cases: the table of every case the config defines (results/cases.csv), before any solve."""

from electrolyte3d import io, summary

io.log_to(snakemake.log[0])
table = summary.case_table(snakemake.params.rows)
with io.atomic_path(snakemake.output.table) as partial:
    table.to_csv(partial, index=False, float_format="%.10g")
print(table.to_string(index=False))
