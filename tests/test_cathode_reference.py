"""Self-checks of the analytic 1D electrolyte / cathode reference against an independent finite-volume solution."""

import numpy as np
import pytest
from cathode_reference import FARADAY, GAS_CONSTANT, PlanarCathode1D, eigenfunction_response, image_response
from scipy.linalg import eigh_tridiagonal

MODEL = PlanarCathode1D(
    L_e=20e-6,
    L_s=30e-6,
    D_plus=1e-11,
    t_plus=0.4,
    c0=1000.0,
    temperature=298.15,
    i0=1.0,
    alpha_a=0.5,
    alpha_c=0.5,
    current_density=3.0,
    D_s=2e-13,
    c_s0=10000.0,
    c_s_max=50000.0,
    U_eq=0.1,
)
TIMES = (0.05, 1.0, 20.0, 2000.0)
"""D_amb t / L_e^2 = 0.0015 .. 60 and D_s t / L_s^2 = 1.1e-5 .. 0.44: both the image and the eigenfunction branch."""
CELLS = 2000


def finite_volume_slab(length, diffusivity, inflow, far_end, times):
    """Concentration rise at cell centres of a slab fed by `inflow` (mol m-2 s-1) at x = 0 since t = 0.

    Method of lines: cell-centred finite volumes on CELLS faces graded geometrically towards x = 0 (smallest cell
    ~ 1e-5 length); the far end is held at zero rise ("dirichlet") or closed ("neumann"). The linear system
    du/dt = W^-1 S u + b (W cell widths, S symmetric tridiagonal) is integrated exactly in time through the
    eigenpairs of W^-1/2 S W^-1/2:  W^1/2 u(t) = V diag(t expm1(lambda t) / (lambda t)) V^T W^1/2 b.
    (Adaptive BDF / Radau need minutes here: the graded grid makes the system very stiff.)
    """
    grading = 6.0
    faces = length * np.expm1(grading * np.linspace(0, 1, CELLS + 1)) / np.expm1(grading)
    centres = 0.5 * (faces[1:] + faces[:-1])
    widths = np.diff(faces)
    conductance = diffusivity / np.diff(centres)
    far_conductance = diffusivity / (length - centres[-1]) if far_end == "dirichlet" else 0.0
    diagonal = -(np.append(conductance, far_conductance) + np.insert(conductance, 0, 0.0)) / widths
    eigenvalues, eigenvectors = eigh_tridiagonal(diagonal, conductance / np.sqrt(widths[1:] * widths[:-1]))
    source = np.zeros(CELLS)
    source[0] = inflow / np.sqrt(widths[0])
    projected = eigenvectors.T @ source
    rises = []
    for t in times:
        x = eigenvalues * t
        growth = np.where(np.abs(x) > 1e-8, np.expm1(x) / np.where(x == 0, 1.0, x), 1 + x / 2)
        rises.append(eigenvectors @ (growth * t * projected) / np.sqrt(widths))
    return centres, np.array(rises)


@pytest.fixture(scope="module")
def electrolyte_fv():
    inflow = -(1 - MODEL.t_plus) * MODEL.current_density / FARADAY
    centres, rise = finite_volume_slab(MODEL.L_e, MODEL.D_amb, inflow, "dirichlet", TIMES)
    return centres, MODEL.c0 + rise


@pytest.fixture(scope="module")
def cathode_fv():
    centres, rise = finite_volume_slab(MODEL.L_s, MODEL.D_s, MODEL.current_density / FARADAY, "neumann", TIMES)
    return centres, MODEL.c_s0 + rise


@pytest.mark.parametrize("index", range(len(TIMES)))
def test_electrolyte_concentration_matches_finite_volumes(electrolyte_fv, index):
    centres, concentration = electrolyte_fv
    exact = MODEL.electrolyte_concentration(centres, TIMES[index])
    depletion = np.max(np.abs(exact - MODEL.c0))
    assert np.max(np.abs(concentration[index] - exact)) / depletion < 1e-5
    assert np.max(np.abs(concentration[index] - exact) / exact) < 1e-6


@pytest.mark.parametrize("index", range(len(TIMES)))
def test_cathode_concentration_matches_finite_volumes(cathode_fv, index):
    centres, concentration = cathode_fv
    exact = MODEL.cathode_concentration(centres, TIMES[index])
    enrichment = np.max(np.abs(exact - MODEL.c_s0))
    assert np.max(np.abs(concentration[index] - exact)) / enrichment < 1e-5
    assert np.max(np.abs(concentration[index] - exact) / exact) < 1e-6


@pytest.mark.parametrize("index", range(len(TIMES)))
def test_potential_drop_matches_finite_volume_integration_of_the_current_law(electrolyte_fv, index):
    """phi(L) - phi(0) from dphi/dy = (I - F (D+ - D-) dc/dy) / kappa(c), midpoint rule on the FV profile."""
    centres, concentration = electrolyte_fv
    t = TIMES[index]
    q = (1 - MODEL.t_plus) * MODEL.current_density / FARADAY
    wall = concentration[index][0] - q / MODEL.D_amb * centres[0]
    y = np.concatenate(([0.0], centres, [MODEL.L_e]))
    c = np.concatenate(([wall], concentration[index], [MODEL.c0]))
    kappa = FARADAY**2 * (MODEL.D_plus + MODEL.D_minus) * 0.5 * (c[1:] + c[:-1]) / (GAS_CONSTANT * MODEL.temperature)
    drop = np.sum((MODEL.current_density * np.diff(y) - FARADAY * (MODEL.D_plus - MODEL.D_minus) * np.diff(c)) / kappa)
    assert MODEL.top_potential(t) - MODEL.interface_potential(t) == pytest.approx(drop, rel=1e-6)


@pytest.mark.parametrize("t", TIMES)
def test_concentrations_stay_physical(t):
    assert MODEL.electrolyte_concentration(np.linspace(0, MODEL.L_e, 201), t).min() > 0
    assert MODEL.cathode_concentration(np.linspace(0, MODEL.L_s, 201), t).max() < MODEL.c_s_max


@pytest.mark.parametrize("t", TIMES)
def test_lithium_in_cathode_equals_charge_passed(t):
    assert MODEL.lithium_in_cathode(t) == pytest.approx(MODEL.current_density * t / FARADAY, rel=1e-10)


def test_electrolyte_reaches_the_linear_steady_profile():
    """After 100 L_e^2 / D_amb the transient is exp(-25 pi^2) ~ 1e-107 of the depletion."""
    y = np.linspace(0, MODEL.L_e, 101)
    t = 100 * MODEL.L_e**2 / MODEL.D_amb
    linear = MODEL.c0 - (1 - MODEL.t_plus) * MODEL.current_density / (FARADAY * MODEL.D_amb) * (MODEL.L_e - y)
    np.testing.assert_allclose(MODEL.electrolyte_concentration(y, t), linear, rtol=1e-14)


def test_initial_state():
    np.testing.assert_array_equal(MODEL.electrolyte_concentration(np.linspace(0, MODEL.L_e, 5), 0.0), MODEL.c0)
    np.testing.assert_array_equal(MODEL.cathode_concentration(np.linspace(0, MODEL.L_s, 5), 0.0), MODEL.c_s0)
    assert MODEL.lithium_in_cathode(0.0) == 0.0


@pytest.mark.parametrize("t", (0.0, *TIMES))
def test_interface_potential_satisfies_butler_volmer(t):
    phi = MODEL.interface_potential(t)
    v_t = GAS_CONSTANT * MODEL.temperature / FARADAY
    theta = MODEL.cathode_concentration(0.0, t) / MODEL.c_s_max
    theta0 = MODEL.c_s0 / MODEL.c_s_max
    x = (phi + MODEL.U_eq) / v_t
    current = MODEL.i0 * (
        MODEL.electrolyte_concentration(0.0, t) / MODEL.c0 * (1 - theta) / (1 - theta0) * np.exp(MODEL.alpha_c * x)
        - theta / theta0 * np.exp(-MODEL.alpha_a * x)
    )
    assert current == pytest.approx(MODEL.current_density, rel=1e-12)


@pytest.mark.parametrize("far_end", ["dirichlet", "neumann"])
@pytest.mark.parametrize("tau", [0.01, 0.1, 1.0])
def test_image_and_eigenfunction_series_agree(far_end, tau):
    xi = np.linspace(0, 1, 101)
    np.testing.assert_allclose(image_response(xi, tau, far_end), eigenfunction_response(xi, tau, far_end), atol=1e-13)
