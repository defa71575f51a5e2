"""The prism layer of the 3D unit cells (electrolyte3d.prism_layer): its rows, the split of its
prisms into conforming tetrahedra, the lumped mass that keeps a flat layer 1D, and layered meshes
of real cells that stay on their mirror planes and fill the cell."""

import numpy as np
import pytest
import skfem
from electrolyte3d import geometry, mesh_files, prism_layer, unit_cell
from electrolyte3d.geometry import ELECTROLYTE, INTERFACE
from electrolyte3d.parameters import UM
from electrolyte3d.problem import Problem
from electrolyte3d.settings import SolverSettings, UnitCellMeshSettings
from electrolyte3d.shapes import UnitCell
from electrolyte3d.stationary import stationary
from test_solver import MMS_PHYSICS, mms_source, mms_squared_error
from test_solver_3d import SIDE, manufactured


def test_rows_start_at_the_interface_grow_by_the_ratio_and_end_at_the_thickness():
    settings = UnitCellMeshSettings(1.5, *(size * UM for size in (24, 10, 4, 10, 100, 30, 0.05)), 1.25, 6.0 * UM)
    rows = settings.layer_fractions(0)
    heights = np.diff(rows) * 6.0
    assert rows[0] == 0 and rows[-1] == pytest.approx(1, rel=1e-15)
    np.testing.assert_allclose(heights[1:] / heights[:-1], 1.25, rtol=1e-12)
    assert 0.05 / 1.25 < heights[0] <= 0.05  # scaled down, by less than one ratio, to end on the thickness
    assert len(heights) == 16
    finer = np.diff(settings.layer_fractions(1))
    assert finer[1] / finer[0] == pytest.approx(1 + 0.25 / 1.5, rel=1e-12) and len(finer) == 23


def test_split_prisms_share_the_triangles_of_their_common_face():
    """Two prisms on the triangles (a, b, c) and (b, a, d), with random tags, share the quadrangle
    over edge a-b: both splits cut it along the same diagonal, and each split fills its prism."""
    rng = np.random.default_rng(7)
    base = np.array([[0.0, 0, 0], [1, 0, 0], [0.3, 0.8, 0], [0.6, -0.9, 0]])
    points = np.vstack([base, base + [0, 0, 0.01]])  # a thin layer: top node i + 4 above node i
    for _ in range(50):
        tags = rng.permutation(8)
        first = np.array([0, 1, 2, 4, 5, 6])
        second = np.array([1, 0, 3, 5, 4, 7])
        position = np.empty((8, 3))
        position[tags] = points
        faces = []
        for prism in (first, second):
            tetrahedra = prism_layer.split_prisms(tags[prism][None])[0]
            volumes = np.abs(np.linalg.det(position[tetrahedra[:, 1:]] - position[tetrahedra[:, :1]])) / 6
            area = 0.5 * np.linalg.norm(np.cross(*(points[prism[1:3]] - points[prism[0]])))
            assert volumes.sum() == pytest.approx(area * 0.01, rel=1e-12)
            assert volumes.min() > 0
            shared = set(tags[[0, 1, 4, 5]])
            faces.append(
                {
                    tuple(sorted(set(face)))
                    for tetrahedron in tetrahedra
                    for face in (
                        tetrahedron[[0, 1, 2]],
                        tetrahedron[[0, 1, 3]],
                        tetrahedron[[0, 2, 3]],
                        tetrahedron[[1, 2, 3]],
                    )
                    if set(face) <= shared
                }
            )
        assert faces[0] == faces[1] and len(faces[0]) == 2


def test_split_quadrangles_cut_along_the_diagonal_through_the_smallest_tag():
    triangles = prism_layer.split_quadrangles(np.array([[5, 2, 7, 9], [1, 8, 3, 4]]))
    assert {frozenset(t) for t in triangles[0]} == {frozenset({2, 7, 9}), frozenset({2, 9, 5})}
    assert {frozenset(t) for t in triangles[1]} == {frozenset({1, 8, 3}), frozenset({1, 3, 4})}


LAYERED = UnitCellMeshSettings(
    refinement_ratio=1.5,
    electrolyte_size=30 * UM,
    interface_size=12 * UM,
    rim_size=5 * UM,
    rim_radius=10 * UM,
    electrode_size=100 * UM,
    grading_distance=30 * UM,
    boundary_layer_first=0.1 * UM,
    boundary_layer_ratio=1.4,
    boundary_layer_thickness=6 * UM,
)


def layered(cell: UnitCell, tmp_path, settings: UnitCellMeshSettings = LAYERED, level: int = 0):
    """A level of the cell's mesh: the stored electrolyte part (with its lumped masses) and the
    level report's layer entries."""
    path = str(tmp_path / f"cell{level}.msh")
    with geometry.gmsh_session(log_to_terminal=False):
        unit_cell.build(cell)
        report, lumped_mass = cell.mesh(settings, level, electrode_solved=False)
        mesh_files.write(path)
    stored = str(tmp_path / f"cell{level}.npz")
    mesh_files.save_part(mesh_files.part(path, ELECTROLYTE), ELECTROLYTE, stored, lumped_mass)
    return mesh_files.load_part(stored), report


def test_a_flat_films_layer_has_flat_rows_and_stores_alike_along_the_interface(tmp_path):
    """Every layer node sits on one of the rows' heights, and every interface node's lumped mass
    is its third of the interface triangles' area times half the first row: the 1D slab's."""
    cell = UnitCell("square", 100 * UM, 400 * UM, 0.0, 37.5 * UM, 100 * UM)
    electrolyte, report = layered(cell, tmp_path)
    rows = LAYERED.layer_fractions(0) * LAYERED.boundary_layer_thickness
    assert report["boundary_layer_layers"] == len(rows) - 1
    in_layer = electrolyte.p[2] < 6 * UM * (1 + 1e-9)
    distance_to_rows = np.abs(electrolyte.p[2, in_layer][:, None] - rows[None]).min(axis=1)
    assert distance_to_rows.max() < 1e-12 * UM
    facets = electrolyte.facets[:, electrolyte.boundaries[INTERFACE]]
    corners = electrolyte.p[:, facets]
    areas = 0.5 * np.linalg.norm(np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0], axis=0), axis=0)
    third = np.bincount(facets.ravel(), weights=np.tile(areas / 3, 3), minlength=electrolyte.nvertices)
    nodes = np.unique(facets)
    np.testing.assert_allclose(electrolyte.lumped_mass[nodes], third[nodes] * rows[1] / 2, rtol=1e-9)
    basis = skfem.Basis(electrolyte, skfem.ElementTetP1())
    volume = skfem.Functional(lambda w: 1.0 + 0 * w.x[0]).assemble(basis)
    assert electrolyte.lumped_mass.sum() == pytest.approx(volume, rel=1e-12)
    assert volume == pytest.approx(cell.electrolyte_volume, rel=1e-12)


@pytest.mark.parametrize("lattice", ["square", "hexagonal", "ridge"])
def test_a_pillar_cells_layer_is_conforming_and_stays_on_the_mirror_planes(lattice, tmp_path):
    """The layer leans at the tip rims without folding: no flat or inverted tetrahedron, the
    electrolyte's boundary is its outer faces only (no internal facet left unmatched), and the
    nodes on a mirror plane lie on it."""
    cell = UnitCell(lattice, 100 * UM, 400 * UM, 150 * UM, 37.5 * UM, 450 * UM)
    electrolyte, report = layered(cell, tmp_path)
    assert report["min_sicn_layer"] > 0 and report["min_sicn_core"] > 0.1
    corners = electrolyte.p[:, electrolyte.t]
    volumes = np.einsum(
        "ij,ij->j",
        np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0], axis=0),
        corners[:, 3] - corners[:, 0],
    )
    assert np.abs(volumes).min() > 0
    basis = skfem.FacetBasis(electrolyte, skfem.ElementTetP1(), facets=electrolyte.boundary_facets())
    outer = skfem.Functional(lambda w: 1.0 + 0 * w.x[0]).assemble(basis)
    # the pillar's sector cuts d/2 x h out of its two mirror planes; the half ridge also covers
    # the mirror plane x = 0 (the ridge's middle), d/2 wide
    pillar_faces = cell.pillar_diameter * cell.pillar_height
    if lattice == "ridge":
        pillar_faces += cell.ridge_depth * cell.pillar_height
    mirror = cell.mirror_perimeter * cell.substrate_thickness + pillar_faces
    assert outer == pytest.approx(cell.interface_area + cell.cell_area + mirror, rel=2e-3)
    corners = np.array(cell.footprint)
    for start, end in zip(corners, np.roll(corners, -1, axis=0), strict=True):
        along = (end - start) / np.linalg.norm(end - start)
        offset = electrolyte.p[:2] - start[:, None]
        distance = along[0] * offset[1] - along[1] * offset[0]  # signed, from the side's line
        near = np.abs(distance) < 1e-3 * UM
        assert near.sum() > 20
        assert np.abs(distance[near]).max() < 1e-15


MMS_LAYER = UnitCellMeshSettings(
    refinement_ratio=1.5,
    electrolyte_size=12 * UM,
    interface_size=12 * UM,
    rim_size=12 * UM,
    rim_radius=10 * UM,
    electrode_size=50 * UM,
    grading_distance=30 * UM,
    boundary_layer_first=1 * UM,
    boundary_layer_ratio=1.5,
    boundary_layer_thickness=10 * UM,
)
"""A layer of 5 rows (level 0) under 12 um tetrahedra, on the 50 um cube of the 3D MMS test."""


def layered_cube_errors(level: int, tmp_path) -> np.ndarray:
    """The 3D manufactured solution's RMS errors (tests/test_solver_3d.py) on a layered level of
    a flat cell 50 um thick on the right triangle with legs of 100 um: its interface at z = 0 under
    the prism layer (the exact fluxes enter through every face, so any domain will do)."""
    cube, _ = layered(UnitCell("square", 10 * UM, 4 * SIDE, 0.0, SIDE, 20 * UM), tmp_path, MMS_LAYER, level)
    solved = np.concatenate([cube.boundaries[INTERFACE], cube.boundaries["top"]])
    cube = cube.with_boundaries({"insulation": np.setdiff1d(cube.boundary_facets(), solved)})
    problem = Problem(cube, MMS_PHYSICS)
    problem.source = mms_source(problem, manufactured)
    solution = stationary(problem, SolverSettings("stationary", 1e-10, 20, 1e-3, 1.0, 1e-3, 0.1))
    assert solution.status == "completed", solution.message
    c, phi = problem.split(solution.snapshots[-1].x)
    fine = skfem.Basis(cube, skfem.ElementTetP1(), intorder=4)
    errors = (
        mms_squared_error(manufactured).elemental(fine, c=fine.interpolate(c), phi=fine.interpolate(phi)).sum(axis=-1)
    )
    return np.sqrt(errors) / SIDE**1.5 / np.array([1000.0, 0.05])


def test_manufactured_solution_converges_on_layered_meshes(tmp_path):
    """The manufactured (c, phi) of the 3D MMS test, on three layered levels: the L2 errors fall
    at second order in the refinement ratio, as on the uniform cube (measured: 1.56, 1.69 from
    level 0 to 1, where the 5-row layer is coarse against the fields' curvature; 1.98, 1.92 from 1
    to 2)."""
    errors = np.array([layered_cube_errors(level, tmp_path) for level in (0, 1, 2)])
    orders = np.log(errors[:-1] / errors[1:]) / np.log(MMS_LAYER.refinement_ratio)
    assert np.all(orders > 1.5), orders
    assert np.all(orders[-1] > 1.9), orders
