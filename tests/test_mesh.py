"""Mesh ladder: quality report, constant refinement, and the scikit-fem mesh the solver will load."""

import gmsh
import numpy as np
import pandas as pd
import pytest
import skfem
from conftest import REPO
from electrolyte3d import geometry, mesh, mesh_files, mesh_quality
from electrolyte3d.cases import cases_from_config
from electrolyte3d.config import load_config
from electrolyte3d.parameters import UM
from electrolyte3d.settings import MeshSettings

CONFIG = load_config(REPO / "config" / "config.yaml")
CASES = cases_from_config(CONFIG)
SETTINGS = MeshSettings.from_config(CONFIG)


def mesh_case(design: str, level: int, tmp_path) -> tuple[dict, str]:
    path = str(tmp_path / f"{design}_level{level}.msh")
    with geometry.gmsh_session(log_to_terminal=False):
        geometry.build(CASES[design].shape)
        mesh.generate(SETTINGS, level)
        report = mesh_quality.report()
        mesh_files.write(path)
    return report, path


@pytest.fixture(scope="module", params=["planar", "pillar"])
def coarsest(request, tmp_path_factory):
    report, path = mesh_case(request.param, 0, tmp_path_factory.mktemp("mesh"))
    return request.param, report, mesh_files.load(path)


@skfem.Functional
def unit(w):
    return 1.0 + 0.0 * w.x[0]


@skfem.Functional
def normal_y(w):
    return w.n[1]


def test_loaded_mesh_keeps_tags_and_measures_the_geometry(coarsest):
    design, report, loaded = coarsest
    case = CASES[design].shape
    assert {"electrolyte", "electrode"} <= set(loaded.subdomains)
    assert {"interface", "top", "insulation"} <= set(loaded.boundaries)
    element = skfem.ElementTriP1()
    electrolyte = skfem.Basis(loaded, element, elements=loaded.subdomains["electrolyte"])
    assert unit.assemble(electrolyte) == pytest.approx(case.electrolyte_area, rel=1e-10)
    interface = skfem.FacetBasis(loaded, element, facets=loaded.boundaries["interface"])
    assert unit.assemble(interface) == pytest.approx(case.interface_length, rel=1e-10)
    assert loaded.t.shape[1] == report["triangles"]
    assert report["triangles_per_group"]["electrolyte"] == len(loaded.subdomains["electrolyte"])
    assert report["line_elements_per_group"]["interface"] == len(loaded.boundaries["interface"])


@pytest.mark.parametrize("subdomain", [geometry.ELECTROLYTE, geometry.ELECTRODE])
def test_stored_mesh_parts_equal_the_restricted_msh(coarsest, tmp_path, subdomain):
    design, _, loaded = coarsest
    restricted = loaded.restrict(subdomain)
    mesh_files.save_part(restricted, subdomain, str(tmp_path / "part.npz"))
    stored = mesh_files.load_part(str(tmp_path / "part.npz"))
    np.testing.assert_array_equal(stored.p, restricted.p)
    np.testing.assert_array_equal(stored.t, restricted.t)
    assert set(stored.boundaries) == set(mesh_files.SOLVED_BOUNDARIES[subdomain])
    for name in mesh_files.SOLVED_BOUNDARIES[subdomain]:
        pairs = np.sort(stored.facets[:, stored.boundaries[name]], axis=0)
        expected = np.sort(restricted.facets[:, restricted.boundaries[name]], axis=0)
        np.testing.assert_array_equal(pairs, expected)
    assert unit.assemble(skfem.FacetBasis(stored, skfem.ElementTriP1(), facets=stored.boundaries["interface"])) == (
        pytest.approx(CASES[design].shape.interface_length, rel=1e-10)
    )


def test_boundary_normals_point_out_of_the_electrolyte(coarsest):
    _, _, loaded = coarsest
    element = skfem.ElementTriP1()
    interface = skfem.FacetBasis(loaded, element, facets=loaded.boundaries["interface"])
    top = skfem.FacetBasis(loaded, element, facets=loaded.boundaries["top"])
    # pillar sides cancel; the horizontal interface faces down, the top faces up
    assert normal_y.assemble(interface) == pytest.approx(-1400 * UM, rel=1e-10)
    assert normal_y.assemble(top) == pytest.approx(1400 * UM, rel=1e-10)


def test_mesh_is_in_metres(coarsest):
    _, _, loaded = coarsest
    assert loaded.p[0].min() == pytest.approx(-700 * UM)
    assert loaded.p[1].min() == pytest.approx(-450 * UM)
    assert loaded.p[1].max() == pytest.approx(37.5 * UM)


def test_quality_report_is_sound(coarsest):
    design, report, _ = coarsest
    assert report["min_angle_electrode_deg"] > 15
    assert report["max_angle_deg"] < MAX_ANGLE_DEG
    assert report["interface_first_layer_m"] == pytest.approx(SETTINGS.boundary_layer_first, rel=0.2)
    assert report["electrolyte_area_m2"] == pytest.approx(CASES[design].shape.electrolyte_area, rel=1e-10)
    assert report["interface_length_m"] == pytest.approx(CASES[design].shape.interface_length, rel=1e-10)


MAX_ANGLE_DEG = 150
"""P1 interpolation error grows without bound as the largest angle approaches 180 degrees;
anisotropic boundary-layer triangles are fine as long as it stays away from it."""


def test_refinement_multiplies_triangles_by_about_ratio_squared(tmp_path):
    counts = [mesh_case("planar", level, tmp_path)[0]["triangles"] for level in (0, 1)]
    assert counts[1] / counts[0] == pytest.approx(SETTINGS.refinement_ratio**2, rel=0.1)


def test_corners_are_refined(tmp_path):
    """Elements touching a pillar root are about corner_size, not interface_size."""
    _, path = mesh_case("pillar", 0, tmp_path)
    loaded = mesh_files.load(path)
    root = np.array([[-450 * UM], [0.0]])
    nearest = np.argmin(np.linalg.norm(loaded.p - root, axis=0))
    touching = np.any(loaded.t == nearest, axis=0)
    edges = loaded.p[:, loaded.t[:, touching]]
    sizes = np.linalg.norm(edges - np.roll(edges, 1, axis=1), axis=0).max(axis=0)
    assert np.linalg.norm(loaded.p[:, nearest] - root[:, 0]) < 1e-12
    assert sizes.max() < 2 * SETTINGS.corner_size


def test_triangle_angles():
    equilateral = np.array([[[0, 0], [1, 0], [0.5, np.sqrt(3) / 2]]])
    right = np.array([[[0, 0], [1, 0], [0, 1]]])
    assert mesh.triangle_angles(equilateral) == pytest.approx(np.full((1, 3), 60.0))
    assert sorted(mesh.triangle_angles(right)[0]) == pytest.approx([45.0, 45.0, 90.0])


def test_ladder_table_reports_ratio_from_counts_and_the_cases_of_each_geometry():
    def report(level, triangles):
        return {
            "geometry": "g0123456789",
            "level": level,
            "triangles": triangles,
            "triangles_per_group": {"electrolyte": triangles},
            "line_elements_per_group": {"interface": 10},
        }

    table = mesh_quality.ladder_table(
        [report(1, 400), report(0, 100)], [2.0, 1.0], {"g0123456789": ["D_low", "D_high"]}
    )
    assert list(table["level"]) == [0, 1]
    assert table["cases"].tolist() == ["D_low D_high"] * 2
    assert list(table["mesh_wall_s"]) == [1.0, 2.0]
    assert table["refinement_ratio_from_counts"].iloc[1] == pytest.approx(2.0)
    assert pd.isna(table["refinement_ratio_from_counts"].iloc[0])
    assert table["triangles_electrolyte"].tolist() == [100, 400]


def test_loading_a_mesh_without_tags_fails_clearly(tmp_path):
    path = str(tmp_path / "untagged.msh")
    with geometry.gmsh_session(log_to_terminal=False):
        gmsh.model.occ.addRectangle(0, 0, 0, 1, 1)
        gmsh.model.occ.synchronize()
        gmsh.model.addPhysicalGroup(2, [1], name="electrolyte")
        gmsh.model.mesh.generate(2)
        gmsh.write(path)
    with pytest.raises(ValueError, match="lacks physical group"):
        mesh_files.load(path)
