"""3D unit cells: what gmsh/OpenCASCADE builds matches the UnitCell's volumes and areas, and the
tetrahedral ladder loads into scikit-fem the way the solver loads it (coarse sizes, seconds each)."""

import math

import gmsh
import numpy as np
import pandas as pd
import pytest
import skfem
from electrolyte3d import geometry, mesh, mesh_files, mesh_quality, unit_cell
from electrolyte3d.parameters import UM
from electrolyte3d.settings import UnitCellMeshSettings
from electrolyte3d.shapes import UnitCell


def paper_cell(lattice: str, pillar_height_um: float = 150) -> UnitCell:
    """The paper's pillars (docs/model.md section 1) on a 400 um lattice."""
    return UnitCell(lattice, 100 * UM, 400 * UM, pillar_height_um * UM, 37.5 * UM, 450 * UM)


COARSE = UnitCellMeshSettings(
    refinement_ratio=1.5,
    electrolyte_size=40 * UM,
    interface_size=15 * UM,
    rim_size=6 * UM,
    rim_radius=10 * UM,
    electrode_size=150 * UM,
    grading_distance=40 * UM,
    boundary_layer_first=0.5 * UM,
    boundary_layer_ratio=1.5,
    boundary_layer_thickness=3 * UM,
)
"""A few thousand tetrahedra per paper cell: the cylinder's facets are still short enough for
its volume and area to within a fraction of a percent."""

CELLS = [paper_cell(lattice, height) for lattice in ("square", "hexagonal") for height in (150, 0)] + [
    paper_cell("ridge")
]


def cell_id(cell: UnitCell) -> str:
    return f"{cell.lattice}-h{cell.pillar_height / UM:g}um"


@pytest.fixture(params=CELLS, ids=cell_id)
def built(request):
    with geometry.gmsh_session(log_to_terminal=False):
        groups = unit_cell.build(request.param)
        yield request.param, groups


def test_volumes_and_areas_match_the_unit_cell(built):
    cell, groups = built
    measured = geometry.measured_numbers(groups, 3)
    assert measured["electrolyte_volume_m3"] == pytest.approx(cell.electrolyte_volume, rel=1e-12)
    assert measured["interface_area_m2"] == pytest.approx(cell.interface_area, rel=1e-12)
    assert measured["top_area_m2"] == pytest.approx(cell.cell_area, rel=1e-12)
    electrode = cell.cell_area * cell.electrode_thickness - cell.pillar_area * cell.pillar_height
    assert measured["electrode_volume_m3"] == pytest.approx(electrode, rel=1e-12)
    # the mirror planes over the whole height, and the electrode's bottom
    sides = cell.mirror_perimeter * (cell.electrode_thickness + cell.substrate_thickness)
    assert measured["insulation_area_m2"] == pytest.approx(sides + cell.cell_area, rel=1e-12)


def test_hand_computed_paper_cells():
    """Square cell: the right triangle with legs of 200 um (an eighth of the 400 um square), an
    eighth of a 100 um pillar, 150 um tall. Hexagonal cell: the triangle between a pillar, the
    midpoint to its neighbour 400 um away and the centre of three pillars (legs 200 um and
    200 / sqrt(3) um: a twelfth of the pillar's hexagon, whose area is sqrt(3) / 2 x 400^2), a
    twelfth of the pillar. Ridge cell: 200 x 50 um, half a 100 um ridge."""
    square, hexagonal, ridge = paper_cell("square"), paper_cell("hexagonal"), paper_cell("ridge")
    assert square.cell_area == pytest.approx(200 * 200 / 2 * UM**2)
    assert square.electrolyte_volume == pytest.approx((200 * 200 / 2 * 37.5 + math.pi * 50**2 / 8 * 150) * UM**3)
    assert square.interface_area == pytest.approx((200 * 200 / 2 + math.pi * 100 / 8 * 150) * UM**2)
    assert square.mirror_perimeter == pytest.approx((400 + 200 * math.sqrt(2)) * UM)
    assert hexagonal.cell_area == pytest.approx(math.sqrt(3) / 2 * 400**2 / 12 * UM**2)
    assert hexagonal.pillar_area == pytest.approx(math.pi * 50**2 / 12 * UM**2)
    assert hexagonal.interface_area == pytest.approx((hexagonal.cell_area / UM**2 + math.pi * 100 / 12 * 150) * UM**2)
    assert hexagonal.mirror_perimeter == pytest.approx((200 + 200 / math.sqrt(3) + 400 / math.sqrt(3)) * UM)
    assert ridge.electrolyte_volume == pytest.approx((200 * 50 * 37.5 + 50 * 50 * 150) * UM**3)
    assert ridge.interface_area == pytest.approx((200 * 50 + 50 * 150) * UM**2)


def test_physical_groups_are_named_and_partition_the_boundary(built):
    cell, groups = built
    assert mesh.physical_groups() == groups
    assert set(groups) == set(unit_cell.PHYSICAL_GROUPS_3D)
    dims = {gmsh.model.getPhysicalName(dim, tag): dim for dim, tag in gmsh.model.getPhysicalGroups()}
    assert dims == unit_cell.PHYSICAL_GROUPS_3D
    surfaces = [tag for name in ("interface", "top", "insulation") for tag in groups[name]]
    assert len(surfaces) == len(set(surfaces)), "a surface is in two boundary groups"
    electrolyte = geometry.boundary(3, groups["electrolyte"])
    electrode = geometry.boundary(3, groups["electrode"])
    assert set(groups["interface"]) == electrolyte & electrode
    assert set(surfaces) == electrolyte | electrode


def test_rims_are_the_curves_at_the_root_and_the_end_of_each_pillar(built):
    """Arcs of 45 and 30 degrees on the cylinders' lattices, lines across the cell on the ridge."""
    cell, groups = built
    rims = unit_cell.rim_curves(groups)
    assert len(rims) == (2 if cell.pillar_height > 0 else 0)
    length = {"square": math.pi * 50 / 4, "hexagonal": math.pi * 50 / 6, "ridge": 50}[cell.lattice] * UM
    for curve in rims:
        assert gmsh.model.occ.getMass(1, curve) == pytest.approx(length / UM, rel=1e-9)
        z_min, z_max = gmsh.model.getBoundingBox(1, curve)[2::3]
        assert z_max - z_min < 1e-6
        assert min(abs(z_min), abs(z_min + cell.pillar_height / UM)) < 1e-6


def mesh_cell(cell: UnitCell, settings: UnitCellMeshSettings, level: int, path) -> dict:
    with geometry.gmsh_session(log_to_terminal=False):
        unit_cell.build(cell)
        layer = mesh.generate_unit_cell(cell, settings, level)
        report = {
            **layer.report(),
            **mesh_quality.layer_quality(layer.volumes, layer.core_volumes),
            **mesh_quality.report(),
        }
        mesh_files.write(str(path))
    return report


@pytest.fixture(scope="module", params=["square", "hexagonal"])
def coarse(request, tmp_path_factory):
    cell = paper_cell(request.param)
    path = tmp_path_factory.mktemp("cell") / f"{request.param}.msh"
    report = mesh_cell(cell, COARSE, 0, path)
    return cell, report, mesh_files.load(str(path))


@skfem.Functional
def unit(w):
    return 1.0 + 0.0 * w.x[0]


@skfem.Functional
def normal_z(w):
    return w.n[2]


def test_electrolyte_part_is_a_tet_mesh_measuring_the_cell(coarse, tmp_path):
    cell, report, whole = coarse
    assert isinstance(whole, skfem.MeshTet)
    assert {"electrolyte", "electrode"} <= set(whole.subdomains)
    assert {"interface", "top", "insulation"} <= set(whole.boundaries)
    mesh_files.save_part(whole.restrict("electrolyte"), "electrolyte", str(tmp_path / "part.npz"))
    part = mesh_files.load_part(str(tmp_path / "part.npz"))
    assert isinstance(part, skfem.MeshTet)
    assert set(part.boundaries) == {"interface", "top"}
    element = skfem.ElementTetP1()
    # facets on the cylinder cut the curved faces: a little volume and area is lost
    assert unit.assemble(skfem.Basis(part, element)) == pytest.approx(cell.electrolyte_volume, rel=0.01)
    interface = skfem.FacetBasis(part, element, facets=part.boundaries["interface"])
    top = skfem.FacetBasis(part, element, facets=part.boundaries["top"])
    assert unit.assemble(interface) == pytest.approx(cell.interface_area, rel=0.02)
    assert unit.assemble(top) == pytest.approx(cell.cell_area, rel=1e-10)
    # normals point out of the electrolyte: the mantles cancel, the flat interface faces down
    assert normal_z.assemble(interface) == pytest.approx(-cell.cell_area, rel=1e-8)
    assert normal_z.assemble(top) == pytest.approx(cell.cell_area, rel=1e-10)
    assert part.p[2].max() == pytest.approx(cell.substrate_thickness)
    assert part.p[2].min() == pytest.approx(-cell.pillar_height)


def test_report_counts_the_loaded_mesh(coarse):
    cell, report, whole = coarse
    assert report["dimension"] == 3
    assert report["tetrahedra"] == whole.nelements
    assert report["nodes"] == whole.nvertices
    assert report["tetrahedra_per_group"]["electrolyte"] == whole.subdomains["electrolyte"].size
    assert report["nodes_per_group"]["electrolyte"] == whole.restrict("electrolyte").nvertices
    for name in ("interface", "top", "insulation"):
        assert report["triangles_per_group"][name] == whole.boundaries[name].size
    assert report["electrolyte_volume_m3"] == pytest.approx(cell.electrolyte_volume, rel=0.01)
    assert report["interface_area_m2"] == pytest.approx(cell.interface_area, rel=0.02)
    # the layer's tetrahedra are as flat as its rows are thin, never inverted; the core's are gmsh's
    assert report["min_sicn"] > 0
    assert report["min_sicn_core"] > 0.1
    assert report["min_dihedral_angle_core_deg"] > 5
    assert report["min_sicn_layer"] > 0
    # the height of the first tetrahedra: the layer's first row, the thickness its rows add up to
    assert report["interface_first_layer_m"] == pytest.approx(report["boundary_layer_first_m"], rel=1e-9)
    assert report["boundary_layer_thickness_m"] == pytest.approx(COARSE.boundary_layer_thickness, rel=1e-12)
    assert report["boundary_layer_first_m"] <= COARSE.boundary_layer_first


@pytest.mark.parametrize("subdomain", ["electrolyte", "electrode"])
def test_stored_tet_parts_equal_the_restricted_msh(coarse, tmp_path, subdomain):
    _, _, whole = coarse
    restricted = whole.restrict(subdomain)
    mesh_files.save_part(restricted, subdomain, str(tmp_path / "part.npz"))
    with np.load(tmp_path / "part.npz") as data:
        assert "tetrahedra" in data.files and "triangles" not in data.files
    stored = mesh_files.load_part(str(tmp_path / "part.npz"))
    np.testing.assert_array_equal(stored.p, restricted.p)
    np.testing.assert_array_equal(stored.t, restricted.t)
    assert set(stored.boundaries) == set(mesh_files.SOLVED_BOUNDARIES[subdomain])
    for name in mesh_files.SOLVED_BOUNDARIES[subdomain]:
        triples = np.sort(np.sort(stored.facets[:, stored.boundaries[name]], axis=0), axis=1)
        expected = np.sort(np.sort(restricted.facets[:, restricted.boundaries[name]], axis=0), axis=1)
        np.testing.assert_array_equal(triples, expected)


def test_rims_are_refined(coarse):
    """Edges at the pillar root rim are about rim_size, not interface_size."""
    cell, _, whole = coarse
    radius = cell.pillar_diameter / 2
    on_rim = np.abs(np.hypot(whole.p[0], whole.p[1]) - radius) < 1e-3 * UM
    on_rim &= np.abs(whole.p[2]) < 1e-3 * UM
    edges = whole.edges[:, np.all(on_rim[whole.edges], axis=0)]
    lengths = np.linalg.norm(whole.p[:, edges[0]] - whole.p[:, edges[1]], axis=0)
    assert lengths.sum() == pytest.approx(cell.rim_length, rel=0.01)  # the edges cover the whole rim
    assert lengths.max() < 1.5 * COARSE.rim_size


def test_flat_film_meshes_exactly(tmp_path):
    cell = paper_cell("hexagonal", 0)
    report = mesh_cell(cell, COARSE, 0, tmp_path / "flat.msh")
    assert report["electrolyte_volume_m3"] == pytest.approx(cell.electrolyte_volume, rel=1e-10)
    assert report["interface_area_m2"] == pytest.approx(cell.cell_area, rel=1e-10)


SMALL = UnitCell("square", 60 * UM, 160 * UM, 60 * UM, 30 * UM, 80 * UM)
UNIFORM = UnitCellMeshSettings(1.5, *(size * UM for size in (10, 10, 10, 10, 10, 40, 1)), 1.5, 2 * UM)
"""A small cell meshed uniformly, so the count is ruled by the volume, not the surfaces."""


def test_refinement_multiplies_tetrahedra_by_about_ratio_cubed(tmp_path):
    """The count grows by about ratio**3 (here 2.7 of 3.4: a few thousand tetrahedra, many on
    the boundary, where the triangles grow by ratio**2; 3.1 two levels further), so the ratio
    implied by the counts, the one the ladder reports, is within 10 % of the nominal one."""
    counts = [mesh_cell(SMALL, UNIFORM, level, tmp_path / f"level{level}.msh")["tetrahedra"] for level in (0, 1)]
    assert np.cbrt(counts[1] / counts[0]) == pytest.approx(UNIFORM.refinement_ratio, rel=0.1)


def test_ladder_table_mixes_sections_and_cells():
    section = {
        "geometry": "g2d",
        "triangles": 100,
        "triangles_per_group": {"electrolyte": 80},
        "line_elements_per_group": {"interface": 10},
    }
    cell = {
        "geometry": "g3d",
        "dimension": 3,
        "tetrahedra": 1000,
        "tetrahedra_per_group": {"electrolyte": 600},
        "triangles_per_group": {"interface": 50},
    }
    reports = [
        {**section, "level": 0},
        {**section, "level": 1, "triangles": 400},
        {**cell, "level": 0},
        {**cell, "level": 1, "tetrahedra": 8000},
    ]
    table = mesh_quality.ladder_table(reports, [1.0, 2.0, 3.0, 4.0], {"g2d": ["planar"], "g3d": ["cell"]})
    assert table["cells"].tolist() == [100, 400, 1000, 8000]
    assert table["dimension"].tolist() == [2, 2, 3, 3]
    assert table["refinement_ratio_from_counts"].iloc[[1, 3]].tolist() == pytest.approx([2.0, 2.0])
    assert pd.isna(table["refinement_ratio_from_counts"].iloc[[0, 2]]).all()
    assert table["tetrahedra_electrolyte"].iloc[2] == 600
    assert table["triangles_electrolyte"].iloc[0] == 80
