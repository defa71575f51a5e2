"""The cathode study: the coupled (c, phi, c_s) system, its conservation of Li, its 1D limit
against an analytic reference the solver does not use, its events and its metrics."""

import numpy as np
import pytest
import skfem
from cathode_reference import PlanarCathode1D
from electrolyte3d import dataset, geometry, mesh, mesh_files, metrics
from electrolyte3d.cases import cases_from_config
from electrolyte3d.cathode import CathodeProblem
from electrolyte3d.config import validate_config
from electrolyte3d.geometry import ELECTRODE, ELECTROLYTE
from electrolyte3d.parameters import FARADAY
from electrolyte3d.settings import MeshSettings, SolverSettings
from electrolyte3d.time_stepping import transient

PHYSICS = {
    "D_plus": 1e-11,
    "D_unit": "m2/s",
    "t_plus": 0.4,
    "exchange_current_density_A_m2": 1.0,
    "D_cathode_cm2_s": 2e-9,
    "cathode_max_concentration_mol_L": 50,
    "cathode_initial_lithiation": 0.2,
    "U_eq_V": 0.1,
}
"""Small diffusion lengths resolved by a coarse mesh: D_cathode 2e-13 m2/s, D+ 1e-11 m2/s."""
MESH = {
    "max_levels": 3,
    "electrolyte_size_um": 2.0,
    "interface_size_um": 1.0,
    "electrode_size_um": 2.0,
    "corner_size_um": 0.5,
    "boundary_layer_first_um": 0.05,
    "boundary_layer_thickness_um": 0.4,
}


def cathode_config(
    designs: dict, physics: dict | None = None, solver_settings: dict | None = None, mesh_settings: dict | None = None
) -> dict:
    config = {
        "study": "cathode",
        "geometry": {"electrode_length_um": 40, "electrode_thickness_um": 30, "substrate_thickness_um": 20},
        "designs": designs,
        "physics": {**PHYSICS, **(physics or {})},
        "solver": solver_settings or {"end_time_s": 20, "report_times_s": [0.05, 1, 20]},
        "mesh": {**MESH, **(mesh_settings or {})},
    }
    validate_config(config)
    return config


FILM = {"film": {"pillar_centres_um": []}}
PILLARS = {
    "pillars": {
        "pillar_centres_um": [-100, 100],
        "pillar_width_um": 40,
        "pillar_height_um": 15,
        "geometry": {"electrode_length_um": 400},
    }
}


def cathode_problem(config: dict, name: str, tmp_path, level: int = 0) -> CathodeProblem:
    case = cases_from_config(config)[name]
    path = str(tmp_path / f"{name}.msh")
    with geometry.gmsh_session(log_to_terminal=False):
        geometry.build(case.shape)
        mesh.generate(MeshSettings.from_config(config), level, case.shape.electrode_solved)
        mesh_files.write(path)
    parts = {}
    for subdomain in (ELECTROLYTE, ELECTRODE):
        stored = str(tmp_path / f"{name}.{subdomain}.npz")
        mesh_files.save_part(mesh_files.part(path, subdomain), subdomain, stored)
        parts[subdomain] = mesh_files.load_part(stored)
    return CathodeProblem(parts[ELECTROLYTE], parts[ELECTRODE], case.physics, case.cathode)


def run(config: dict, problem: CathodeProblem):
    settings = SolverSettings.from_config(config)
    solution = transient(problem, settings, np.array(config["solver"].get("report_times_s", []), dtype=float))
    return solution, dataset.build(problem, solution, settings, {"case": "test"})


@pytest.fixture(scope="module")
def film(tmp_path_factory):
    """A film on a cathode, resolved so that the 1D comparison measures the solver, not the
    mesh or the time steps: element size 0.5 um against cathode diffusion lengths of 1.4-6 um
    (D_cathode 2e-12 m2/s, 1-20 s), and time_rtol 1e-5."""
    config = cathode_config(
        FILM,
        physics={"D_cathode_cm2_s": 2e-8},
        solver_settings={"end_time_s": 20, "report_times_s": [1, 5, 20], "time_rtol": 1e-5},
        mesh_settings={"interface_size_um": 0.5, "electrode_size_um": 0.5},
    )
    problem = cathode_problem(config, "film", tmp_path_factory.mktemp("film"))
    return (problem, *run(config, problem))


@pytest.fixture(scope="module")
def pillars(tmp_path_factory):
    config = cathode_config(PILLARS)
    problem = cathode_problem(config, "pillars", tmp_path_factory.mktemp("pillars"))
    return (problem, *run(config, problem))


# --- the 1D limit: a film on a cathode with insulated sides --------------------------------


def reference(problem: CathodeProblem) -> PlanarCathode1D:
    physics, cathode = problem.physics, problem.cathode
    return PlanarCathode1D(
        L_e=problem.mesh.p[1].max(),
        L_s=-problem.cathode_mesh.p[1].min(),
        D_plus=physics.D_plus,
        t_plus=physics.t_plus,
        c0=physics.c0,
        temperature=physics.temperature,
        i0=physics.exchange_current_density,
        alpha_a=physics.alpha_a,
        alpha_c=physics.alpha_c,
        current_density=physics.current_density,
        D_s=cathode.diffusivity,
        c_s0=cathode.initial_concentration,
        c_s_max=cathode.max_concentration,
        U_eq=cathode.U_eq,
    )


def test_film_on_a_cathode_matches_the_1d_analytic_solution(film):
    """With insulated sides the 2D film-on-cathode problem is 1D in both domains: the salt
    concentration at the interface, c_s through the cathode's depth, and the potentials at the
    interface and the top must follow the series solution (computed without the solver)."""
    problem, solution, ds = film
    assert solution.status == "completed"
    exact = reference(problem)
    for snapshot in solution.snapshots[1:]:
        t = snapshot.time
        c, phi = problem.split(snapshot.x)
        interface = problem.interface_nodes
        c_s = problem.solid(snapshot.x)
        depth = -problem.cathode_mesh.p[1]
        np.testing.assert_allclose(c[interface], exact.electrolyte_concentration(np.zeros(1), t)[0], rtol=1e-4)
        gained = exact.cathode_concentration(depth, t) - exact.c_s0
        np.testing.assert_allclose(c_s - exact.c_s0, gained, atol=1e-2 * np.max(gained))
        np.testing.assert_allclose(phi[interface], exact.interface_potential(t), atol=1e-5)
        top = np.unique(problem.mesh.facets[:, problem.mesh.boundaries[geometry.TOP]])
        np.testing.assert_allclose(phi[top], exact.top_potential(t), atol=1e-5)


# --- conservation ------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["film", "pillars"])
def test_lithium_leaving_the_electrolyte_is_the_lithium_the_cathode_gains(case, request):
    """The reaction current through the interface carries the applied current at every snapshot
    (1e-8), so Li leaving the electrolyte is I t / F; the cathode's Li content grows by exactly
    that (1e-8 relative), BDF2 being exact for a content linear in time."""
    problem, solution, ds = request.getfixturevalue(case)
    np.testing.assert_allclose(ds.interface_current[1:], problem.applied_current, rtol=1e-8)
    delivered = problem.applied_current * ds.time.values / FARADAY
    np.testing.assert_allclose(ds.lithium_gained.values, delivered, rtol=1e-8, atol=1e-8 * delivered.max())
    assert ds.attrs["lithium_balance_error"] < 1e-8


def test_pillars_spread_the_reaction_over_sides_and_tips(pillars):
    problem, solution, ds = pillars
    assert solution.status == "completed"
    last = ds.isel(time=-1)
    on_pillars = last.y < -1e-9
    assert float(last.i_loc.where(on_pillars).max()) > 0
    # the cathode takes up more Li next to the pillars than far below them
    assert float(last.c_s_depth.sel(depth=5e-6, method="nearest")) > float(
        last.c_s_depth.sel(depth=25e-6, method="nearest")
    )


# --- the Newton system -------------------------------------------------------------------


def test_cathode_jacobian_equals_finite_differences_of_the_residual(tmp_path):
    """Analytic Jacobian of the coupled system against central differences, at a perturbed
    state, with an OCV table so that dU_eq/dc_s enters."""
    config = cathode_config(
        {
            "film": {
                "pillar_centres_um": [],
                "geometry": {"electrode_length_um": 6, "electrode_thickness_um": 4, "substrate_thickness_um": 3},
            }
        },
        physics={"ocv_table": {"lithiation": [0.0, 0.3, 1.0], "U_eq_V": [0.3, 0.1, -0.2]}},
        mesh_settings={"electrolyte_size_um": 1.0},
    )
    problem = cathode_problem(config, "film", tmp_path)
    rng = np.random.default_rng(7)
    x = problem.initial_guess()
    x[: problem.nodes] *= rng.uniform(0.8, 1.2, problem.nodes)
    x[problem.nodes : 2 * problem.nodes] += rng.uniform(-0.02, 0.02, problem.nodes)
    problem.solid(x)[:] *= rng.uniform(0.9, 1.4, problem.solid_nodes)
    mass_coefficient = 10.0
    analytic = problem.jacobian(x, mass_coefficient).toarray()
    numeric = np.empty_like(analytic)
    scales = np.concatenate(
        [np.full(problem.nodes, 1.0), np.full(problem.nodes, 1e-6), np.full(problem.solid_nodes, 1.0)]
    )
    for column, unknown in enumerate(problem.free):
        step = scales[unknown]
        plus, minus = x.copy(), x.copy()
        plus[unknown] += step
        minus[unknown] -= step
        difference = problem.residual(plus, mass_coefficient) - problem.residual(minus, mass_coefficient)
        numeric[:, column] = difference[problem.free] / (2 * step)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7 * np.abs(analytic).max())


def test_an_ocv_table_is_the_open_circuit_potential_at_every_lithiation():
    """No current flows at phi = -OCV(x) with c = c0, wherever x is in the table, and the
    constant U_eq is the open-circuit potential at the initial lithiation."""
    config = cathode_config(FILM, physics={"ocv_table": {"lithiation": [0.05, 0.3, 0.9], "U_eq_V": [3.6, 3.4, 3.1]}})
    case = cases_from_config(config)["film"]
    lithiation = np.array([0.05, 0.1, 0.2, 0.3, 0.5, 0.85])
    ocv = np.interp(lithiation, [0.05, 0.3, 0.9], [3.6, 3.4, 3.1])
    current = case.cathode.butler_volmer(
        case.physics, np.full(6, case.physics.c0), -ocv, lithiation * case.cathode.max_concentration
    )[0]
    np.testing.assert_allclose(current, 0.0, atol=1e-12 * case.physics.exchange_current_density)
    constant = cases_from_config(cathode_config(FILM))["film"]
    x0 = constant.cathode.initial_concentration
    assert constant.cathode.butler_volmer(constant.physics, constant.physics.c0, -constant.cathode.U_eq, x0)[
        0
    ] == pytest.approx(0.0, abs=1e-12)


# --- events and configuration ----------------------------------------------------------


def test_a_cathode_that_fills_up_stops_as_saturated(tmp_path):
    config = cathode_config(
        FILM,
        physics={"cathode_max_concentration_mol_L": 0.5, "saturation_lithiation": 0.6, "D_cathode_cm2_s": 2e-10},
        solver_settings={"end_time_s": 200},
    )
    problem = cathode_problem(config, "film", tmp_path)
    solution, ds = run(config, problem)
    assert solution.status == "saturated"
    assert ds.attrs["saturation_time_s"] == solution.event_time < 200
    final = problem.interface_lithiation(solution.snapshots[-1].x).max()
    assert final == pytest.approx(0.6, abs=2e-6)


def test_study_type_is_a_field_of_each_design():
    config = cathode_config({**FILM, "li": {"study": "anode", "pillar_centres_um": []}})
    cases = cases_from_config(config)
    assert cases["film"].study == "cathode" and cases["film"].cathode is not None
    assert cases["li"].study == "anode" and cases["li"].cathode is None
    assert cases["film"].shape.electrode_solved and not cases["li"].shape.electrode_solved
    assert cases["film"].shape.key != cases["li"].shape.key


def test_a_sweep_varies_the_cathode_diffusivity():
    config = cathode_config(FILM)
    config["sweeps"] = {"Ds": {"design": "film", "D_cathode_cm2_s": [5e-13, 5e-12]}}
    validate_config(config)
    cases = cases_from_config(config)
    assert [cases[name].cathode.diffusivity for name in ("Ds_Dc5e-13", "Ds_Dc5e-12")] == pytest.approx([5e-17, 5e-16])
    assert cases["Ds_Dc5e-13"].shape.key == cases["film"].shape.key


# --- metrics -----------------------------------------------------------------------------


def test_depth_average_and_area_fraction_are_exact_for_linear_fields():
    square = skfem.MeshTri.init_tensor(np.linspace(-1, 1, 9), np.linspace(-1, 0, 7) ** 3).with_defaults()
    depths = np.array([0.05, 0.3, 0.77])
    field = 2.0 + 3.0 * square.p[1] + 0.5 * square.p[0]
    np.testing.assert_allclose(metrics.depth_average_operator(square, depths) @ field, 2.0 - 3.0 * depths, rtol=1e-12)
    assert metrics.area_fraction_above(square, -square.p[1], 0.3) == pytest.approx(0.7, rel=1e-12)
    assert metrics.area_fraction_above(square, square.p[0], 0.5) == pytest.approx(0.25, rel=1e-12)
    assert metrics.area_fraction_above(square, np.ones(square.nvertices), 0.5) == 1.0
