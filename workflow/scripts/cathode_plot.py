"""Rule cathode_plot: the cathode cases' lithiation (f-SE against p-3DSE) from the study dataset."""

import xarray as xr
from electrolyte3d import io, plots

io.log_to(snakemake.log[0])
figure = plots.cathode(xr.load_dataset(snakemake.input.study))
with io.atomic_path(snakemake.output.picture) as partial:
    figure.savefig(partial, dpi=snakemake.params.dpi)
