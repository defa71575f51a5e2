"""Independent 1D reference for the galvanostatic electrolyte / intercalation-cathode model (SI units).

Electrolyte film, 0 <= y <= L_e (y = 0 is the interface), binary salt, reduced Nernst-Planck:

    dc/dt = D_amb d2c/dy2,  D_amb = 2 D+ D- / (D+ + D-),  D- = D+ (1 - t+) / t+,
    c(y, 0) = c0,  c(L_e, t) = c0,  D_amb dc/dy(0, t) = q = (1 - t+) I / F.

Cathode slab, 0 <= z <= L_s (z = 0 is the interface, z = L_s the current collector):

    dc_s/dt = D_s d2c_s/dz2,  c_s(z, 0) = c_s0,  -D_s dc_s/dz(0, t) = j = I / F,  dc_s/dz(L_s, t) = 0.

Both are a slab of length L fed by a constant flux into its face x = 0, so with xi = x / L and
tau = D t / L^2 the concentration rise is (flux L / D) * G(xi, tau) with G = flux_response(xi, tau, far_end):

    c   = c0   - (q L_e / D_amb) G_dirichlet(y / L_e, D_amb t / L_e^2)
    c_s = c_s0 + (j L_s / D_s)   G_neumann(z / L_s, D_s t / L_s^2)

Eigenfunction series (used for tau >= SHORT_TIME_LIMIT):

    G_dirichlet = (1 - xi)                   - sum_{k>=0} 2 cos(mu_k xi) exp(-mu_k^2 tau) / mu_k^2, mu_k = (k + 1/2) pi
    G_neumann   = tau + (3 (1 - xi)^2 - 1)/6 - sum_{k>=0} 2 cos(mu_k xi) exp(-mu_k^2 tau) / mu_k^2, mu_k = (k + 1) pi

Image (erfc) series (used for tau < SHORT_TIME_LIMIT), s = -1 (Dirichlet far end) or +1 (Neumann far end):

    G = 2 sqrt(tau) [ ierfc(xi / (2 sqrt(tau))) + sum_{k>=1} s^k ( ierfc((2k + xi) / (2 sqrt(tau)))
                                                               + ierfc((2k - xi) / (2 sqrt(tau))) ) ],
    ierfc(x) = exp(-x^2) / sqrt(pi) - x erfc(x).

Both series are truncated once a geometric bound on the omitted tail is below TRUNCATION_TOLERANCE (1e-14)
in the dimensionless G, i.e. an error below 1e-14 * flux L / D in concentration.

Electrolyte potential, current density I flowing in -y, kappa(c) = F^2 (D+ + D-) c / (R T):

    dphi/dy = (I - F (D+ - D-) dc/dy) / kappa(c)
    phi(L_e) = phi(0) + I int_0^{L_e} dy / kappa(c) - (2 t+ - 1) V_T ln(c0 / c(0)),   V_T = R T / F,

the diffusion-potential term integrated exactly because (D+ - D-) / (D+ + D-) = 2 t+ - 1.

Butler-Volmer at the interface (solid at 0 V), x = phi(0) + U_eq, theta = c_s(0) / c_s_max:

    I = i0 [ (c(0) / c0) ((1 - theta) / (1 - theta0)) exp(alpha_c x / V_T) - (theta / theta0) exp(-alpha_a x / V_T) ].
"""

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.integrate import quad
from scipy.optimize import brentq
from scipy.special import erfcx

FARADAY = 96485.33212  # C/mol
GAS_CONSTANT = 8.314462618  # J/(mol K)

TRUNCATION_TOLERANCE = 1e-14
"""Bound on the omitted tail of either series, in the dimensionless response G."""
SHORT_TIME_LIMIT = 0.1
"""Dimensionless time D t / L^2 below which the image series replaces the eigenfunction series."""
QUADRATURE_RELATIVE_TOLERANCE = 1e-12
"""Relative tolerance requested from scipy.integrate.quad for the profile integrals."""

FarEnd = Literal["dirichlet", "neumann"]


def ierfc(x: np.ndarray) -> np.ndarray:
    """First integral of erfc, written with erfcx so the difference keeps its precision for large x >= 0."""
    x = np.asarray(x, dtype=float)
    return np.exp(-x * x) * (1.0 / np.sqrt(np.pi) - x * erfcx(x))


def eigenfunction_terms_needed(tau: float, first_mode: float) -> int:
    """Number of modes mu_k = (first_mode + k) pi, k = 0..K-1, such that the omitted tail is below the tolerance.

    For k >= K each weight 2 exp(-mu_k^2 tau) / mu_k^2 is at most the previous one times
    r = exp(-pi^2 tau (2 (first_mode + K) + 1)), so the tail is at most weight_K / (1 - r).
    """
    modes = 0
    while True:
        mu = (first_mode + modes) * np.pi
        ratio = np.exp(-(np.pi**2) * tau * (2 * (first_mode + modes) + 1))
        if 2 * np.exp(-mu * mu * tau) / (mu * mu) / (1 - ratio) <= TRUNCATION_TOLERANCE:
            return modes
        modes += 1


def image_pairs_needed(tau: float) -> int:
    """Number K such that the image pairs k >= K, together, are below the tolerance.

    Each pair is at most 2 * 2 sqrt(tau) exp(-a_k^2) / sqrt(pi) with a_k = (2k - 1) / (2 sqrt(tau)),
    and a_{k+1}^2 - a_k^2 = 2k / tau, so the tail is at most the k = K bound / (1 - exp(-2K / tau)).
    """
    pairs = 1
    while True:
        bound = 4 * np.sqrt(tau / np.pi) * np.exp(-((2 * pairs - 1) ** 2) / (4 * tau))
        if bound / (1 - np.exp(-2 * pairs / tau)) <= TRUNCATION_TOLERANCE:
            return pairs
        pairs += 1


def eigenfunction_response(xi: np.ndarray, tau: float, far_end: FarEnd) -> np.ndarray:
    """Dimensionless concentration rise G(xi, tau) from the eigenfunction series (good for large tau)."""
    xi = np.asarray(xi, dtype=float)
    if far_end == "dirichlet":
        first_mode, steady = 0.5, 1 - xi
    else:
        first_mode, steady = 1.0, tau + (3 * (1 - xi) ** 2 - 1) / 6
    mu = (first_mode + np.arange(eigenfunction_terms_needed(tau, first_mode))) * np.pi
    weights = 2 * np.exp(-mu * mu * tau) / (mu * mu)
    return steady - np.cos(np.multiply.outer(xi, mu)) @ weights


def image_response(xi: np.ndarray, tau: float, far_end: FarEnd) -> np.ndarray:
    """Dimensionless concentration rise G(xi, tau) from the image (ierfc) series (good for small tau)."""
    xi = np.asarray(xi, dtype=float)
    sign = -1.0 if far_end == "dirichlet" else 1.0
    scale = 2 * np.sqrt(tau)
    k = np.arange(1, image_pairs_needed(tau))
    pairs = ierfc(np.add.outer(xi, 2 * k) / scale) + ierfc(-np.subtract.outer(xi, 2 * k) / scale)
    return scale * (ierfc(xi / scale) + pairs @ sign**k)


def flux_response(xi: np.ndarray, tau: float, far_end: FarEnd) -> np.ndarray:
    """Concentration rise, in units of flux L / D, of a slab fed by a unit flux at xi = 0 since tau = 0."""
    if tau <= 0:
        return np.zeros_like(np.asarray(xi, dtype=float))
    if tau < SHORT_TIME_LIMIT:
        return image_response(xi, tau, far_end)
    return eigenfunction_response(xi, tau, far_end)


def integrate_profile(profile, length: float, diffusion_length: float) -> float:
    """Integral of a scalar profile over [0, length] by adaptive quadrature, split at the boundary layer."""
    breaks = [b for b in diffusion_length * np.array([1.0, 3.0, 10.0]) if 0 < b < length]
    value, _ = quad(
        lambda x: float(profile(x)),
        0.0,
        length,
        points=breaks or None,
        epsabs=0.0,
        epsrel=QUADRATURE_RELATIVE_TOLERANCE,
        limit=200,
    )
    return value


@dataclass(frozen=True)
class PlanarCathode1D:
    """Parameters and analytic solution of the planar 1D electrolyte film on an intercalation cathode (SI)."""

    L_e: float  # electrolyte thickness, m
    L_s: float  # cathode thickness, m
    D_plus: float  # cation diffusivity, m2/s
    t_plus: float  # cation transference number
    c0: float  # bulk salt concentration, mol/m3
    temperature: float  # K
    i0: float  # exchange current density, A/m2
    alpha_a: float  # anodic transfer coefficient
    alpha_c: float  # cathodic transfer coefficient
    current_density: float  # applied current density I, A/m2 (> 0 lithiates the cathode)
    D_s: float  # solid diffusivity, m2/s
    c_s0: float  # initial Li concentration in the cathode, mol/m3
    c_s_max: float  # maximum Li concentration in the cathode, mol/m3
    U_eq: float  # equilibrium potential, V

    @property
    def D_minus(self) -> float:
        """Anion diffusivity from the transference number, m2/s."""
        return self.D_plus * (1 - self.t_plus) / self.t_plus

    @property
    def D_amb(self) -> float:
        """Ambipolar salt diffusivity, m2/s."""
        return 2 * self.D_plus * self.D_minus / (self.D_plus + self.D_minus)

    @property
    def thermal_voltage(self) -> float:
        """R T / F, V."""
        return GAS_CONSTANT * self.temperature / FARADAY

    @property
    def salt_removal_flux(self) -> float:
        """Salt flux consumed at the interface, (1 - t+) I / F, mol/(m2 s)."""
        return (1 - self.t_plus) * self.current_density / FARADAY

    @property
    def lithium_flux(self) -> float:
        """Lithium flux into the cathode, I / F, mol/(m2 s)."""
        return self.current_density / FARADAY

    def conductivity(self, c: np.ndarray) -> np.ndarray:
        """Electrolyte conductivity kappa(c) = F^2 (D+ + D-) c / (R T), S/m."""
        return FARADAY**2 * (self.D_plus + self.D_minus) * np.asarray(c) / (GAS_CONSTANT * self.temperature)

    def electrolyte_concentration(self, y: np.ndarray, t: float) -> np.ndarray:
        """Salt concentration c(y, t), mol/m3, for 0 <= y <= L_e and t >= 0."""
        tau = self.D_amb * t / self.L_e**2
        xi = np.asarray(y, dtype=float) / self.L_e
        return self.c0 - self.salt_removal_flux * self.L_e / self.D_amb * flux_response(xi, tau, "dirichlet")

    def cathode_concentration(self, z: np.ndarray, t: float) -> np.ndarray:
        """Lithium concentration c_s(z, t), mol/m3, for depth 0 <= z <= L_s and t >= 0."""
        tau = self.D_s * t / self.L_s**2
        zeta = np.asarray(z, dtype=float) / self.L_s
        return self.c_s0 + self.lithium_flux * self.L_s / self.D_s * flux_response(zeta, tau, "neumann")

    def butler_volmer_current(self, phi_interface: float, t: float) -> float:
        """Right-hand side of the Butler-Volmer law, A/m2, for electrolyte potential phi(0) at time t."""
        concentration_ratio, theta, theta0 = self._interface_state(t)
        x = (phi_interface + self.U_eq) / self.thermal_voltage
        cathodic = concentration_ratio * (1 - theta) / (1 - theta0) * np.exp(self.alpha_c * x)
        anodic = theta / theta0 * np.exp(-self.alpha_a * x)
        return float(self.i0 * (cathodic - anodic))

    def interface_potential(self, t: float) -> float:
        """Electrolyte potential phi(0, t), V, solving Butler-Volmer with brentq.

        With A = (c(0)/c0)(1 - theta)/(1 - theta0) and B = theta/theta0 (both > 0 for physical states) the
        right-hand side i0 (A e^{alpha_c x/V_T} - B e^{-alpha_a x/V_T}) increases with x = phi(0) + U_eq.
        For x >= 0 it is >= i0 (A e^{alpha_c x/V_T} - B), hence >= |I| at
        x_hi = max(0, V_T/alpha_c ln((|I|/i0 + B)/A)); for x <= 0 it is <= i0 (A - B e^{-alpha_a x/V_T}),
        hence <= -|I| at x_lo = min(0, -V_T/alpha_a ln((|I|/i0 + A)/B)).
        Both ends are widened by V_T against rounding.
        """
        concentration_ratio, theta, theta0 = self._interface_state(t)
        a = concentration_ratio * (1 - theta) / (1 - theta0)
        b = theta / theta0
        if a <= 0 or b <= 0:
            raise ValueError(
                f"unphysical interface state at t = {t} s: c(0)/c0 = {concentration_ratio}, theta = {theta}"
            )
        v_t = self.thermal_voltage
        current = abs(self.current_density) / self.i0
        x_hi = max(0.0, v_t / self.alpha_c * np.log((current + b) / a)) + v_t
        x_lo = min(0.0, -v_t / self.alpha_a * np.log((current + a) / b)) - v_t
        x = brentq(
            lambda x: self.butler_volmer_current(x - self.U_eq, t) - self.current_density,
            x_lo,
            x_hi,
            xtol=1e-14 * v_t,
            rtol=4 * np.finfo(float).eps,
        )
        return float(x - self.U_eq)

    def top_potential(self, t: float) -> float:
        """Electrolyte potential phi(L_e, t), V (see module docstring).

        The ohmic part I int dy / kappa(c) = I L_e / kappa(c0) + I int (1/kappa(c) - 1/kappa(c0)) dy uses quad on the
        deviation only (relative tolerance 1e-12, so ~1e-12 * ohmic drop of the boundary layer); the diffusion potential
        is exact.
        """
        diffusion_length = np.sqrt(self.D_amb * t)
        deviation = integrate_profile(
            lambda y: 1 / self.conductivity(self.electrolyte_concentration(y, t)) - 1 / self.conductivity(self.c0),
            self.L_e,
            diffusion_length,
        )
        ohmic = self.current_density * (self.L_e / self.conductivity(self.c0) + deviation)
        c_interface = self.electrolyte_concentration(0.0, t)
        diffusion = -(2 * self.t_plus - 1) * self.thermal_voltage * np.log(self.c0 / c_interface)
        return float(self.interface_potential(t) + ohmic + diffusion)

    def lithium_in_cathode(self, t: float) -> float:
        """Inserted lithium int_0^{L_s} (c_s - c_s0) dz, mol/m2, by quad on the analytic profile (equals I t / F)."""
        return integrate_profile(
            lambda z: self.cathode_concentration(z, t) - self.c_s0, self.L_s, np.sqrt(self.D_s * t)
        )

    def _interface_state(self, t: float) -> tuple[float, float, float]:
        """c(0)/c0, theta = c_s(0)/c_s_max and theta0 = c_s0/c_s_max at time t."""
        concentration_ratio = float(self.electrolyte_concentration(0.0, t)) / self.c0
        theta = float(self.cathode_concentration(0.0, t)) / self.c_s_max
        return concentration_ratio, theta, self.c_s0 / self.c_s_max
