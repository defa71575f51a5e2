"""A solve's fields for ParaView: c and phi on the electrolyte mesh (and c_s on a cathode's) at
every snapshot, as binary arrays in a netCDF4 (HDF5) file with an XDMF time series that points
at them, and the reader the field pictures use.

The XDMF is written by hand rather than with meshio's time-series writer, which writes its HDF5
file into the working directory, cannot write through an atomic rename, needs one file pair per
mesh, and adds a frozen copy of the mesh that ParaView's XDMF reader shows beside the series.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from electrolyte3d import io
from electrolyte3d.cathode import CathodeProblem
from electrolyte3d.problem import Problem
from electrolyte3d.solution import Solution

MESH_FIELDS = {"c": ("c_mol_m-3", "mol m-3"), "phi": ("phi_V", "V")}
"""Field arrays of a snapshot (c and phi on the electrolyte nodes): name in the data file, and
the XDMF attribute name and units ParaView shows."""
CATHODE_FIELDS = {"c_s": ("c_s_mol_m-3", "mol m-3")}
"""Field arrays on a cathode's nodes (prefixed ``cathode_`` in the data file's mesh arrays)."""
ELEMENT_ARRAYS = {
    2: ("triangle", "triangles", "Triangle", "xy", "XY"),
    3: ("tetrahedron", "tetrahedra", "Tetrahedron", "xyz", "XYZ"),
}
"""Per mesh dimension: the data file's names of an element's dimension and of the elements'
array, the XDMF topology, and the coordinate dimension's name in the file and in XDMF."""


def write_fields(problem: Problem, solution: Solution, xdmf_path: str, data_path: str) -> None:
    """c and phi on the electrolyte mesh (and c_s on a cathode's) at every snapshot: the arrays
    in ``data_path`` (netCDF4, which is HDF5: each array one dataset at the root) and an XDMF
    time series in ``xdmf_path`` that points ParaView at them (binary arrays write far faster and
    smaller than XML text)."""
    import netCDF4

    parts = [("", problem.mesh, MESH_FIELDS, problem.split)]
    if isinstance(problem, CathodeProblem):
        parts.append(("cathode_", problem.cathode_mesh, CATHODE_FIELDS, lambda x: (problem.solid(x),)))
    times = [snapshot.time for snapshot in solution.snapshots]
    with io.atomic_path(data_path) as partial:
        with netCDF4.Dataset(partial, "w", format="NETCDF4") as data:
            element, elements, _, axes, _ = ELEMENT_ARRAYS[problem.mesh.dim()]
            data.createDimension("vertex", problem.mesh.dim() + 1)
            data.createDimension(axes, problem.mesh.dim())
            data.createDimension("step", len(times))
            time = data.createVariable("time", "f8", ("step",))
            time.units = "s"
            time[:] = times
            for prefix, mesh, fields, values_of in parts:
                data.createDimension(f"{prefix}node", mesh.nvertices)
                data.createDimension(f"{prefix}{element}", mesh.nelements)
                data.createVariable(f"{prefix}points", "f8", (f"{prefix}node", axes))[:] = mesh.p.T
                data.createVariable(f"{prefix}{elements}", "i8", (f"{prefix}{element}", "vertex"))[:] = mesh.t.T
                for step, snapshot in enumerate(solution.snapshots):
                    for name, values in zip(fields, values_of(snapshot.x), strict=True):
                        variable = data.createVariable(f"{name}_{step}", "f8", (f"{prefix}node",))
                        variable.units = fields[name][1]
                        variable[:] = values
    collections = [
        _xdmf_collection(
            "electrolyte" if not prefix else prefix.rstrip("_"), Path(data_path).name, prefix, mesh, fields, times
        )
        for prefix, mesh, fields, _ in parts
    ]
    with io.atomic_path(xdmf_path) as partial:
        Path(partial).write_text(
            '<?xml version="1.0"?>\n<Xdmf Version="3.0">\n<Domain>\n' + "".join(collections) + "</Domain>\n</Xdmf>\n"
        )


def _xdmf_collection(name: str, data_file: str, prefix: str, mesh, fields: dict, times: list[float]) -> str:
    def item(dataset: str, dimensions: str, number_type: str) -> str:
        return (
            f'<DataItem Dimensions="{dimensions}" NumberType="{number_type}" Precision="8" '
            f'Format="HDF">{data_file}:/{dataset}</DataItem>'
        )

    nodes, count, dim = mesh.nvertices, mesh.nelements, mesh.dim()
    _, elements, topology, _, geometry = ELEMENT_ARRAYS[dim]
    steps = []
    for step, time in enumerate(times):
        attributes = "".join(
            f'<Attribute Name="{label}" AttributeType="Scalar" '
            f'Center="Node">{item(f"{field}_{step}", str(nodes), "Float")}</Attribute>'
            for field, (label, _) in fields.items()
        )
        steps.append(
            f'<Grid Name="{name}{step}" GridType="Uniform"><Time Value="{float(time)!r}"/>'
            f'<Topology TopologyType="{topology}" '
            f'NumberOfElements="{count}">{item(f"{prefix}{elements}", f"{count} {dim + 1}", "Int")}</Topology>'
            f'<Geometry GeometryType="{geometry}">{item(f"{prefix}points", f"{nodes} {dim}", "Float")}</Geometry>'
            f"{attributes}</Grid>"
        )
    body = "\n".join(steps)
    return f'<Grid Name="{name}" GridType="Collection" CollectionType="Temporal">\n{body}\n</Grid>\n'


def read_field(data_path: str, step: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Points, triangles and c of snapshot ``step`` in a data file of :func:`write_fields` (its
    snapshots are those of the netCDF result, in the same order), and that snapshot's time."""
    import netCDF4

    with netCDF4.Dataset(data_path) as data:
        step %= data.dimensions["step"].size
        return data["points"][:].data, data["triangles"][:].data, data[f"c_{step}"][:].data, float(data["time"][step])
