"""Solver verification against solutions the solver does not use: the finite-slab series
(Crank), the steady 1D Butler-Volmer film, the initial ohmic + kinetic drop, charge
conservation, manufactured solutions, and the mirror symmetry of the paper's designs."""

import math

import numpy as np
import pytest
import scipy.sparse as sp
import skfem
import xarray as xr
from electrolyte3d import dataset, fields, forms, geometry, mesh, mesh_files, sparse
from electrolyte3d.cases import cases_from_config
from electrolyte3d.config import validate_config
from electrolyte3d.geometry import ELECTROLYTE
from electrolyte3d.newton import NewtonFailure
from electrolyte3d.parameters import FARADAY, GAS_CONSTANT, Physics
from electrolyte3d.problem import Problem, p1_element
from electrolyte3d.settings import MeshSettings, SolverSettings
from electrolyte3d.stationary import stationary
from electrolyte3d.time_stepping import transient
from scipy.optimize import brentq

FILM = 37.5e-6
"""Paper's film (substrate) thickness, m."""


def study(physics: dict, solver_settings: dict | None = None, mesh_settings: dict | None = None, designs=None) -> dict:
    config = {
        "geometry": {"electrode_length_um": 100, "electrode_thickness_um": 100},
        "designs": designs or {"film": {"pillar_centres_um": []}},
        "physics": physics,
        "solver": solver_settings or {},
        "mesh": mesh_settings or {},
    }
    validate_config(config)
    return config


def electrolyte_mesh(config: dict, case: str, level: int, tmp_path) -> skfem.MeshTri:
    path = str(tmp_path / f"{case}_level{level}.msh")
    with geometry.gmsh_session(log_to_terminal=False):
        geometry.build(cases_from_config(config)[case].shape)
        mesh.generate(MeshSettings.from_config(config), level)
        mesh_files.write(path)
    stored = str(tmp_path / f"{case}_level{level}.npz")
    mesh_files.save_part(mesh_files.part(path, ELECTROLYTE), ELECTROLYTE, stored)
    return mesh_files.load_part(stored)


def solve(config: dict, case: str, electrolyte: skfem.MeshTri, report_times=()):
    physics = cases_from_config(config)[case].physics
    settings = SolverSettings.from_config(config)
    problem = Problem(electrolyte, physics)
    if settings.mode == "stationary":
        solution = stationary(problem, settings)
    else:
        solution = transient(problem, settings, np.array(report_times, dtype=float))
    return problem, solution, dataset.build(problem, solution, settings, {"case": case})


# --- 1. planar transient: finite slab, constant flux at the interface, c0 at the top ---------


def slab_interface_drop(time: float, diffusivity: float, flux: float, thickness: float, terms: int = 20000) -> float:
    """c0 - c(interface, t) for dc/dt = D c'' on (0, L), -D c'(0) = -flux (salt leaving at 0),
    c(L) = c0, c(x, 0) = c0: the cosine series of Crank, The Mathematics of Diffusion (1975),
    eigenvalues lambda_n = (2n + 1) pi / (2 L)."""
    eigenvalues = (2 * np.arange(terms) + 1) * np.pi / (2 * thickness)
    decay = np.exp(-diffusivity * eigenvalues**2 * time)
    return flux * thickness / diffusivity - np.sum(2 * flux / (diffusivity * thickness * eigenvalues**2) * decay)


@pytest.fixture(scope="module")
def planar_transient(tmp_path_factory):
    config = study(
        physics={"D_plus": 1e-12, "D_unit": "m2/s", "t_plus": 0.3, "exchange_current_density_A_m2": 2.5},
        solver_settings={"end_time_s": 5000, "depletion_fraction": 0.45},
        mesh_settings={"electrolyte_size_um": 1.5, "interface_size_um": 0.75, "electrode_size_um": 20},
    )
    electrolyte = electrolyte_mesh(config, "film", 0, tmp_path_factory.mktemp("planar"))
    return solve(config, "film", electrolyte, report_times=[10, 30, 100, 300, 1000])


def test_planar_interface_concentration_follows_the_slab_series(planar_transient):
    problem, solution, ds = planar_transient
    physics = problem.physics
    flux = physics.salt_consumed_per_charge * physics.current_density
    for time in [10, 30, 100, 300, 1000]:
        exact = physics.c0 - slab_interface_drop(time, physics.D_ambipolar, flux, FILM)
        assert ds.c_mean.sel(time=time).item() == pytest.approx(exact, rel=1e-3), time
        assert ds.c_cv.sel(time=time).item() < 1e-4  # a 1D problem stays 1D


def test_planar_depletion_time_matches_the_slab_series(planar_transient):
    problem, solution, ds = planar_transient
    physics = problem.physics
    flux = physics.salt_consumed_per_charge * physics.current_density
    threshold = 0.45 * physics.c0
    exact = brentq(lambda t: physics.c0 - slab_interface_drop(t, physics.D_ambipolar, flux, FILM) - threshold, 1, 5000)
    assert ds.attrs["status"] == "depleted"
    assert ds.attrs["depletion_time_s"] == pytest.approx(exact, rel=1e-3)  # 4e-4: this mesh's own error
    assert ds.c_min.isel(time=-1).item() == pytest.approx(threshold, rel=1e-5)
    assert float(ds.c_min_domain.min()) > 0


def test_field_files_hold_every_snapshot_and_the_xdmf_points_at_them(planar_transient, tmp_path):
    """The XDMF that ParaView opens refers to datasets of the data file by HDF5 path; each must
    exist there with the dimensions the XDMF declares, at the snapshot times."""
    import xml.etree.ElementTree as ElementTree

    import netCDF4

    problem, solution, _ = planar_transient
    xdmf, data_path = tmp_path / "level0.xdmf", tmp_path / "level0.fields.nc"
    fields.write_fields(problem, solution, str(xdmf), str(data_path))
    grids = ElementTree.parse(xdmf).getroot().findall("./Domain/Grid/Grid")
    assert [float(grid.find("Time").get("Value")) for grid in grids] == [
        snapshot.time for snapshot in solution.snapshots
    ]
    with netCDF4.Dataset(data_path) as data:
        assert data.data_model == "NETCDF4"  # HDF5 underneath, which the XDMF's Format="HDF" needs
        for item in xdmf_items(grids):
            file_name, dataset_path = item.text.split(":/")
            assert file_name == data_path.name
            shape = tuple(int(size) for size in item.get("Dimensions").split())
            assert data[dataset_path].shape == shape, dataset_path
        last = len(grids) - 1
        np.testing.assert_array_equal(data[f"c_{last}"][:], problem.split(solution.snapshots[-1].x)[0])
    points, triangles, c, time = fields.read_field(str(data_path), -1)
    np.testing.assert_array_equal(points, problem.mesh.p.T)
    np.testing.assert_array_equal(triangles, problem.mesh.t.T)
    assert time == solution.snapshots[-1].time and c.shape == (problem.nodes,)


def xdmf_items(grids):
    for grid in grids:
        yield from grid.iter("DataItem")


def test_charge_is_conserved_at_every_step(planar_transient):
    problem, solution, ds = planar_transient
    assert solution.steps > 10
    assert ds.attrs["max_charge_imbalance"] < 1e-8
    np.testing.assert_allclose(ds.interface_current, ds.attrs["applied_current_A_m"], rtol=1e-8)


# --- 2. steady planar film with Butler-Volmer -------------------------------------------------


@pytest.mark.parametrize("t_plus", [0.5, 0.3])
def test_steady_planar_film_matches_the_closed_form(t_plus, tmp_path):
    config = study(
        physics={"D_plus": 3.2e-12, "D_unit": "m2/s", "t_plus": t_plus, "exchange_current_density_A_m2": 2.5},
        solver_settings={"mode": "stationary"},
        mesh_settings={"electrolyte_size_um": 2.0, "interface_size_um": 1.0, "electrode_size_um": 20},
    )
    problem, solution, ds = solve(config, "film", electrolyte_mesh(config, "film", 0, tmp_path))
    assert ds.attrs["status"] == "completed"
    current, c0, D_plus = 3.0, 1000.0, 3.2e-12
    D_minus = D_plus * (1 - t_plus) / t_plus
    c_interface = c0 - current * FILM / (2 * FARADAY * D_plus)
    if t_plus == 0.5:
        assert c_interface == pytest.approx(817.8, abs=0.05)  # the number quoted in the issue
    assert ds.c_mean.item() == pytest.approx(c_interface, rel=1e-6)

    thermal = GAS_CONSTANT * 298.15 / FARADAY
    ratio = c_interface / c0  # closed-form Butler-Volmer root for symmetric alpha: phi at the interface
    # i = i0 [ratio e^{phi/2V_T} - e^{-phi/2V_T}]  ->  quadratic in e^{phi/2V_T}
    z = (current / 2.5 + math.sqrt((current / 2.5) ** 2 + 4 * ratio)) / (2 * ratio)
    phi_interface = 2 * thermal * math.log(z)
    assert ds.phi_interface.mean().item() == pytest.approx(phi_interface, rel=1e-6)

    gradient = current / (2 * FARADAY * D_plus)
    conductivity_per_c = FARADAY**2 * (D_plus + D_minus) / (GAS_CONSTANT * 298.15)
    coefficient = (current - FARADAY * (D_plus - D_minus) * gradient) / (conductivity_per_c * gradient)
    phi_top = phi_interface + coefficient * math.log(c0 / c_interface)
    assert ds.cell_overpotential.item() == pytest.approx(phi_top, rel=1e-5)


def test_stationary_mode_reports_no_steady_state_beyond_the_limiting_current(tmp_path):
    config = study(
        physics={"D_plus": 3.2e-12, "D_unit": "cm2/s", "exchange_current_density_A_m2": 2.5},
        solver_settings={"mode": "stationary"},
        mesh_settings={"electrolyte_size_um": 4.0, "interface_size_um": 2.0, "electrode_size_um": 20},
    )
    problem, solution, ds = solve(config, "film", electrolyte_mesh(config, "film", 0, tmp_path))
    limiting_fraction = 2 * FARADAY * 3.2e-16 * 1000 / (3.0 * FILM)
    assert ds.attrs["status"] == "no_steady_state"
    assert 0 < ds.attrs["current_fraction_reached"] < limiting_fraction
    assert float(ds.c_interface.min()) > 0
    assert "limiting current" in ds.attrs["status_message"]


# --- 3. initial potential drop ----------------------------------------------------------------


def test_initial_drop_is_ohmic_plus_butler_volmer(planar_transient):
    problem, solution, ds = planar_transient
    physics = problem.physics
    ohmic = physics.current_density * FILM / (physics.conductivity_per_concentration * physics.c0)
    kinetic = 2 * physics.thermal_voltage * math.asinh(physics.current_density / (2 * physics.exchange_current_density))
    assert ds.time[0] == 0
    assert ds.cell_overpotential.isel(time=0).item() == pytest.approx(ohmic + kinetic, rel=1e-6)


# --- 5. manufactured solution -----------------------------------------------------------------

SIDE = 50e-6
MMS_PHYSICS = Physics(
    D_plus=1e-12,
    t_plus=0.3,
    c0=1000.0,
    temperature=298.15,
    exchange_current_density=2.5,
    alpha_a=0.4,
    alpha_c=0.6,
    current_density=3.0,
)


def manufactured(x, y):
    """Exact c, phi, their gradients and Laplacians on the square (0, SIDE)^2."""
    k = np.pi / SIDE
    c = 1000 * (1 + 0.2 * np.cos(k * x) * np.cos(k * y / 2))
    c_x = -1000 * 0.2 * k * np.sin(k * x) * np.cos(k * y / 2)
    c_y = -1000 * 0.2 * (k / 2) * np.cos(k * x) * np.sin(k * y / 2)
    c_lap = -1000 * 0.2 * (k**2 + k**2 / 4) * np.cos(k * x) * np.cos(k * y / 2)
    phi = 0.05 + 0.02 * np.sin(k * x / 2) * y / SIDE
    phi_x = 0.02 * (k / 2) * np.cos(k * x / 2) * y / SIDE
    phi_y = 0.02 * np.sin(k * x / 2) / SIDE
    phi_lap = -0.02 * (k / 2) ** 2 * np.sin(k * x / 2) * y / SIDE
    return c, (c_x, c_y), c_lap, phi, (phi_x, phi_y), phi_lap


def mms_source(problem: Problem, exact=manufactured) -> np.ndarray:
    """Residual terms that make the ``exact`` (c, phi) (a function of the coordinates returning
    c, grad c, lap c, phi, grad phi, lap phi) the exact solution of the steady system with the
    solver's boundary conditions, in 2D or 3D: minus the strong-form volume sources, minus the
    boundary fluxes of the exact fields and the exact Butler-Volmer current, plus the applied
    current on the top (the weak form of electrolyte3d.problem.Problem.residual)."""
    physics = problem.physics
    D, k, delta = physics.D_ambipolar, physics.conductivity_per_concentration, physics.diffusion_current_coefficient

    def dot(first, second):
        return np.sum(np.asarray(first) * np.asarray(second), axis=0)

    @skfem.LinearForm
    def salt_volume(v, w):
        _, _, c_lap, *_ = exact(*w.x)
        return D * c_lap * v

    @skfem.LinearForm
    def charge_volume(v, w):
        c, c_grad, c_lap, _, phi_grad, phi_lap = exact(*w.x)
        return (k * (dot(c_grad, phi_grad) + c * phi_lap) + delta * c_lap) * v

    @skfem.LinearForm
    def salt_boundary(v, w):
        c, c_grad, _, phi, _, _ = exact(*w.x)
        return (
            -(
                D * dot(c_grad, w.n)
                + w["reacting"] * physics.salt_consumed_per_charge * physics.butler_volmer(c, phi)[0]
            )
            * v
        )

    @skfem.LinearForm
    def charge_boundary(v, w):
        c, c_grad, _, phi, phi_grad, _ = exact(*w.x)
        inward_current = k * c * dot(phi_grad, w.n) + delta * dot(c_grad, w.n)
        reaction = w["reacting"] * physics.butler_volmer(c, phi)[0]
        return (-inward_current - reaction + w["applied"]) * v

    basis = skfem.Basis(problem.mesh, p1_element(problem.mesh))
    salt = salt_volume.assemble(basis)
    charge = charge_volume.assemble(basis)
    for name in ("interface", "top", "insulation"):
        facets = skfem.FacetBasis(problem.mesh, basis.elem, facets=problem.mesh.boundaries[name])
        reacting = float(name == "interface")
        applied = physics.current_density if name == "top" else 0.0
        salt += salt_boundary.assemble(facets, reacting=reacting)
        charge += charge_boundary.assemble(facets, reacting=reacting, applied=applied)
    return np.concatenate([salt, charge])


def mms_squared_error(exact=manufactured) -> skfem.Functional:
    """Squared errors of the discrete c and phi (``w['c']``, ``w['phi']``) against ``exact``."""

    @skfem.Functional
    def squared_error(w):
        c, _, _, phi, _, _ = exact(*w.x)
        return np.stack([(w["c"] - c) ** 2, (w["phi"] - phi) ** 2])

    return squared_error


def mms_errors(cells: int) -> tuple[float, float]:
    points = np.linspace(0, SIDE, cells + 1)
    square = skfem.MeshTri.init_tensor(points, points).with_boundaries(
        {
            "interface": lambda x: np.isclose(x[1], 0),
            "top": lambda x: np.isclose(x[1], SIDE),
            "insulation": lambda x: np.isclose(x[0], 0) | np.isclose(x[0], SIDE),
        }
    )
    problem = Problem(square, MMS_PHYSICS)
    problem.source = mms_source(problem)
    settings = SolverSettings("stationary", 1e-10, 20, 1e-3, 1.0, 1e-3, 0.1)
    solution = stationary(problem, settings)
    assert solution.status == "completed"
    c, phi = problem.split(solution.snapshots[-1].x)
    fine = skfem.Basis(square, skfem.ElementTriP1(), intorder=6)
    errors = mms_squared_error().elemental(fine, c=fine.interpolate(c), phi=fine.interpolate(phi)).sum(axis=-1)
    return tuple(np.sqrt(errors) / SIDE / np.array([1000.0, 0.05]))  # RMS error relative to the scales


def test_manufactured_solution_converges_at_second_order():
    errors = np.array([mms_errors(cells) for cells in (8, 16, 32)])
    orders = np.log2(errors[:-1] / errors[1:])
    assert np.all(orders > 1.9), orders
    assert errors[-1].max() < 5e-4


# --- 6. symmetry of the paper's designs, and the failure path ---------------------------------

SYMMETRY_TOLERANCE = 1e-3


@pytest.fixture(scope="module")
def paper_pillar(tmp_path_factory):
    """The paper's pillar geometry with the conductivity of its EIS data (docs/model.md section 3b), so that
    the depletion layer is resolved and the mesh asymmetry, not under-resolution, is measured."""
    config = study(
        physics={},
        solver_settings={"end_time_s": 20, "report_times_s": [1, 20]},
        designs={
            "pillar": {
                "pillar_centres_um": [-400, 0, 400],
                "pillar_width_um": 100,
                "pillar_height_um": 150,
                "physics": {"conductivity_S_cm": 2e-4, "charge_transfer_resistance_ohm": 435.3},
            }
        },
    )
    config["geometry"] = {}
    validate_config(config)
    return solve(config, "pillar", electrolyte_mesh(config, "pillar", 0, tmp_path_factory.mktemp("pillar")), [1, 20])


def test_paper_pillar_profiles_are_symmetric_about_the_mid_line(paper_pillar):
    problem, solution, ds = paper_pillar
    assert ds.attrs["status"] == "completed"
    s = ds.s.values
    assert ds.x.values[0] == pytest.approx(-ds.x.values[-1])
    for name in ("c_interface", "i_loc"):
        profile = ds[name].sel(time=20).values
        mirrored = np.interp(s[-1] - s, s, profile)
        assert np.max(np.abs(profile - mirrored)) < SYMMETRY_TOLERANCE * np.abs(profile).max(), name
    assert ds.attrs["max_charge_imbalance"] < 1e-8


@pytest.mark.parametrize("integrator, newton_method", [("bdf", "chord_newton"), ("bdf2", "newton")])
def test_newton_failures_end_the_case_as_diverged_with_a_valid_result(tmp_path, monkeypatch, integrator, newton_method):
    config = study(
        physics={"D_plus": 1e-12, "D_unit": "m2/s", "exchange_current_density_A_m2": 2.5},
        solver_settings={"end_time_s": 100, "report_times_s": [1, 100], "integrator": integrator},
    )
    physics = cases_from_config(config)["film"].physics
    problem = Problem(electrolyte_mesh(config, "film", 0, tmp_path), physics)
    settings = SolverSettings.from_config(config)
    newton = getattr(problem, newton_method)
    forced_failures = []

    def failing_after_a_second(*arguments, **keywords):
        result = newton(*arguments, **keywords)
        if problem.split(result[0])[0].min() < 995:
            forced_failures.append(result)
            raise NewtonFailure("forced failure")
        return result

    monkeypatch.setattr(problem, newton_method, failing_after_a_second)
    solution = transient(problem, settings, np.array([1.0, 100.0]))
    ds = dataset.build(problem, solution, settings, {"case": "film"})
    assert ds.attrs["status"] == "diverged"
    # the shrinking steps may end on the chord iteration's own failure rather than the forced one
    assert forced_failures and "failure" in ds.attrs["status_message"]
    assert solution.rejected_steps >= settings.max_step_failures or "step fell below" in ds.attrs["status_message"]
    assert ds.time.values[0] == 0 and ds.sizes["time"] >= 2  # the last good state is kept
    assert float(ds.c_interface.min()) >= 995


def test_unresolved_depletion_layer_is_flagged_in_plain_words():
    resolved = xr.Dataset(
        attrs={"diffusion_length_over_first_layer": 12.0, "diffusion_length_m": 1.2e-6, "interface_first_layer_m": 1e-7}
    )
    unresolved = xr.Dataset(
        attrs={
            "diffusion_length_over_first_layer": 0.5,
            "diffusion_length_m": 1.6e-8,
            "interface_first_layer_m": 3.2e-8,
        }
    )
    assert dataset.resolution_warning(resolved) is None
    assert dataset.resolution_warning(xr.Dataset()) is None  # stationary results carry no diffusion length
    warning = dataset.resolution_warning(unresolved)
    assert "not resolved" in warning and "0.016 um" in warning


def test_planar_transient_resolves_its_depletion_layer(planar_transient):
    problem, solution, ds = planar_transient
    assert ds.attrs["diffusion_length_over_first_layer"] > dataset.UNRESOLVED
    assert ds.attrs["interface_first_layer_m"] == pytest.approx(5e-9, rel=0.2)


@pytest.mark.parametrize("integrator", ["bdf", "bdf2"])
def test_a_failing_linear_solve_ends_the_case_as_diverged_with_the_pardiso_message(tmp_path, monkeypatch, integrator):
    from pypardiso.pardiso_wrapper import PyPardisoError

    config = study(
        physics={"D_plus": 1e-12, "D_unit": "m2/s", "exchange_current_density_A_m2": 2.5},
        solver_settings={"end_time_s": 100, "report_times_s": [1, 100], "integrator": integrator},
    )
    problem = Problem(electrolyte_mesh(config, "film", 0, tmp_path), cases_from_config(config)["film"].physics)
    calls = []

    def zero_pivot_after_the_first_steps(factorisation):
        def failing(direct, *arguments):
            calls.append(1)
            if len(calls) > 10:
                raise PyPardisoError(-4)  # PARDISO's "zero pivot, numerical factorization problem"
            return factorisation(direct, *arguments)

        return failing

    for name in ("solve", "factorise"):
        monkeypatch.setattr(
            sparse.DirectSolver,
            name,
            zero_pivot_after_the_first_steps(getattr(sparse.DirectSolver, name)),
        )
    settings = SolverSettings.from_config(config)
    solution = transient(problem, settings, np.array([1.0, 100.0]))
    ds = dataset.build(problem, solution, settings, {"case": "film"})
    assert ds.attrs["status"] == "diverged"
    assert "linear solve failed" in ds.attrs["status_message"] and "-4" in ds.attrs["status_message"]
    assert ds.sizes["time"] >= 2 and np.isfinite(ds.c_interface.values).all()


def test_conduction_weights_each_edge_by_kappa_at_its_midpoint():
    """The solver's conduction matrix, from the P1 element geometry it keeps, against one
    assembled independently from scikit-fem's global Laplacian."""
    points = np.linspace(0, 1e-5, 7)
    square = skfem.MeshTri.init_tensor(points, points**1.3 / 1e-5**0.3).with_boundaries(
        {"interface": lambda x: np.isclose(x[1], 0), "top": lambda x: np.isclose(x[1], 1e-5)}
    )
    assert_conduction_is_edge_weighted(square)


def assert_conduction_is_edge_weighted(mesh: skfem.Mesh) -> None:
    """On ``mesh``: Problem.conduction_data is the Laplacian with each off-diagonal (i, j) times
    kappa((c_i + c_j) / 2) and zero row sums, which for a uniform c is Galerkin's kappa(c) K;
    conduction_concentration_sensitivity_data is its exact derivative in c (K_kappa(c) phi is
    linear in c, so a difference of any size is exact); potential_jacobian is the phi-phi block of
    jacobian."""
    problem = Problem(mesh, MMS_PHYSICS)
    rng = np.random.default_rng(1)
    c, phi = rng.uniform(500, 1500, problem.nodes), rng.uniform(-0.1, 0.1, problem.nodes)
    k = MMS_PHYSICS.conductivity_per_concentration
    laplace = forms.laplace.assemble(skfem.Basis(mesh, p1_element(mesh))).tocoo()
    shape = laplace.shape

    def conduction(values):
        return sp.coo_matrix((problem.conduction_data(values), tuple(problem.element_pairs)), shape=shape).toarray()

    off = laplace.row != laplace.col
    expected = sp.coo_matrix(
        (laplace.data[off] * k * (c[laplace.row[off]] + c[laplace.col[off]]) / 2, (laplace.row[off], laplace.col[off])),
        shape=shape,
    ).toarray()
    expected -= np.diag(expected.sum(axis=1))
    scale = np.abs(expected).max()
    np.testing.assert_allclose(conduction(c), expected, rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(
        conduction(np.full_like(c, 800.0)), k * 800.0 * laplace.toarray(), rtol=0, atol=1e-12 * scale
    )
    sensitivity = sp.coo_matrix(
        (problem.conduction_concentration_sensitivity_data(phi), tuple(problem.element_pairs)), shape=shape
    )
    change = rng.uniform(-100, 100, problem.nodes)
    exact = (conduction(c + change) - conduction(c)) @ phi
    np.testing.assert_allclose(sensitivity @ change, exact, rtol=0, atol=1e-10 * np.abs(exact).max())
    x = np.concatenate([c, phi])
    potential = np.searchsorted(problem.free, np.arange(problem.nodes, 2 * problem.nodes))
    whole = problem.jacobian(x)[potential][:, potential]
    np.testing.assert_allclose(problem.potential_jacobian(x).toarray(), whole.toarray(), rtol=1e-14, atol=0)
