"""Physical constants and the electrolyte/electrode parameters of one case, in SI, with sources.

The paper (Mu et al., Supporting Information S2, Table S6) gives a Li+ diffusivity per design and
the concentration and current; everything else here is an assumption documented in
``config/README.md`` (model notes: docs/model.md sections 2-3b).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy.optimize import brentq

FARADAY = 96485.33212
"""Faraday constant, C mol-1 (CODATA 2018, exact)."""
GAS_CONSTANT = 8.314462618
"""Molar gas constant, J mol-1 K-1 (CODATA 2018, exact)."""

CM2_S = 1e-4
"""m2 s-1 per cm2 s-1."""
MA_CM2 = 10.0
"""A m-2 per mA cm-2."""
MOL_L = 1000.0
"""mol m-3 per mol L-1."""
S_CM = 100.0
"""S m-1 per S cm-1."""
CM2 = 1e-4
"""m2 per cm2."""
UM = 1e-6
"""Metres per micrometre."""


@dataclass(frozen=True)
class Physics:
    """Binary salt electrolyte on a Li metal electrode (Newman's reduced Nernst-Planck form).

    Attributes are SI: ``D_plus`` m2 s-1 (Li+ diffusivity), ``t_plus`` (Li+ transference number,
    sets the anion's D_minus = D_plus (1 - t_plus) / t_plus), ``c0`` mol m-3 (initial and top
    salt concentration), ``temperature`` K, ``exchange_current_density`` A m-2 at c0,
    ``alpha_a``/``alpha_c`` (Butler-Volmer transfer coefficients), ``current_density`` A m-2
    applied at the top and flowing towards the electrode (plating).
    """

    D_plus: float
    t_plus: float
    c0: float
    temperature: float
    exchange_current_density: float
    alpha_a: float
    alpha_c: float
    current_density: float

    @property
    def D_minus(self) -> float:
        return self.D_plus * (1 - self.t_plus) / self.t_plus

    @property
    def D_ambipolar(self) -> float:
        """Salt diffusivity 2 D+ D- / (D+ + D-), m2 s-1."""
        return 2 * self.D_plus * self.D_minus / (self.D_plus + self.D_minus)

    @property
    def thermal_voltage(self) -> float:
        """RT/F, V."""
        return GAS_CONSTANT * self.temperature / FARADAY

    @property
    def conductivity_per_concentration(self) -> float:
        """kappa / c = F^2 (D+ + D-) / (R T), S m-1 per mol m-3."""
        return FARADAY * (self.D_plus + self.D_minus) / self.thermal_voltage

    @property
    def diffusion_current_coefficient(self) -> float:
        """F (D+ - D-): the current carried by a salt gradient, A m-2 per mol m-4."""
        return FARADAY * (self.D_plus - self.D_minus)

    @property
    def salt_consumed_per_charge(self) -> float:
        """(1 - t+) / F: salt removed at the interface per coulomb of plating, mol C-1."""
        return (1 - self.t_plus) / FARADAY

    @property
    def sand_time(self) -> float:
        """Time for the interface of a semi-infinite film to deplete at the applied current, s:
        pi D_amb (c0 F)^2 / (4 (i (1 - t+))^2)."""
        return (
            math.pi
            * self.D_ambipolar
            * (self.c0 * FARADAY) ** 2
            / (4 * (self.current_density * (1 - self.t_plus)) ** 2)
        )

    def si_values(self) -> dict:
        """The parameters and the quantities derived from them, SI, units in the names (the
        solve result's attributes and the columns of results/cases.csv)."""
        return {
            "D_plus_m2_s": self.D_plus,
            "D_minus_m2_s": self.D_minus,
            "D_ambipolar_m2_s": self.D_ambipolar,
            "t_plus": self.t_plus,
            "c0_mol_m3": self.c0,
            "temperature_K": self.temperature,
            "exchange_current_density_A_m2": self.exchange_current_density,
            "alpha_a": self.alpha_a,
            "alpha_c": self.alpha_c,
            "current_density_A_m2": self.current_density,
            "conductivity_at_c0_S_m": self.conductivity_per_concentration * self.c0,
            "sand_time_s": self.sand_time,
        }

    def butler_volmer(self, c: np.ndarray, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Plating current density into the Li electrode (phi_s = 0, U_eq = 0, eta = -phi), A m-2,
        and its derivatives with respect to c and phi:
        i = i0 [(c/c0) exp(alpha_c phi / V_T) - exp(-alpha_a phi / V_T)]."""
        cathodic = np.exp(self.alpha_c * phi / self.thermal_voltage)
        anodic = np.exp(-self.alpha_a * phi / self.thermal_voltage)
        i0 = self.exchange_current_density
        current = i0 * (c / self.c0 * cathodic - anodic)
        d_dc = i0 / self.c0 * cathodic
        d_dphi = i0 / self.thermal_voltage * (self.alpha_c * c / self.c0 * cathodic + self.alpha_a * anodic)
        return current, d_dc, d_dphi

    def interface_potential(self, current_density: float, c: float) -> float:
        """Electrolyte potential at the interface (V) that passes ``current_density`` (A m-2) at
        salt concentration ``c`` by Butler-Volmer: the root of a monotonic function."""
        if current_density == 0:
            bracket = self.thermal_voltage
        else:
            bracket = self.thermal_voltage * (
                1
                + 2 * abs(math.asinh(current_density / self.exchange_current_density)) / min(self.alpha_a, self.alpha_c)
            )
        return brentq(
            lambda phi: self.butler_volmer(c, phi)[0] - current_density,
            -bracket - 1,
            bracket + 1,
            xtol=1e-15,
            rtol=1e-14,
        )

    def as_params(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Cathode:
    """An intercalation cathode (the paper's cathode model, docs/model.md section 4), SI.

    ``diffusivity`` m2 s-1 of the intercalated Li, ``max_concentration`` mol m-3 (c_s_max),
    ``initial_lithiation`` (c_s0 / c_s_max, uniform at t = 0). The equilibrium potential against
    the cathode's own reference, at c = c0: a constant ``U_eq`` (V) makes the cathode an ideal
    host, whose open-circuit potential is U_eq at the initial lithiation x0 and follows
    U_eq - (V_T / (alpha_a + alpha_c)) ln(x (1 - x0) / (x0 (1 - x))) elsewhere (the kinetic
    concentration factors below); when ``ocv_lithiation`` is not empty, the open-circuit potential
    is the piecewise-linear table ``ocv_voltage`` (V) over ``ocv_lithiation`` (increasing) at every x.
    A case stops when the interface anywhere reaches ``saturation_lithiation``; cathode area
    above ``lithiated_threshold`` counts as lithiated.
    """

    diffusivity: float
    max_concentration: float
    initial_lithiation: float
    U_eq: float
    ocv_lithiation: tuple[float, ...]
    ocv_voltage: tuple[float, ...]
    saturation_lithiation: float
    lithiated_threshold: float

    @property
    def initial_concentration(self) -> float:
        return self.initial_lithiation * self.max_concentration

    def standard_potential(self, physics: Physics, lithiation: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The potential E0 in :meth:`butler_volmer` (V) and dE0/d(lithiation): the constant
        U_eq; or, with an OCV table, the table plus the ideal term the kinetic factors take off
        again, (V_T / (alpha_a + alpha_c)) ln(x (1 - x0) / (x0 (1 - x))), so that the current
        vanishes at phi = -OCV(x) (c = c0). The table is extended flat."""
        if not self.ocv_lithiation:
            return np.full_like(lithiation, self.U_eq), np.zeros_like(lithiation)
        table_x, table_u = np.asarray(self.ocv_lithiation), np.asarray(self.ocv_voltage)
        slopes = np.diff(table_u) / np.diff(table_x)
        segment = np.clip(np.searchsorted(table_x, lithiation) - 1, 0, slopes.size - 1)
        inside = (lithiation >= table_x[0]) & (lithiation <= table_x[-1])
        x, x0 = np.clip(lithiation, 1e-12, 1 - 1e-12), self.initial_lithiation
        ideal = physics.thermal_voltage / (physics.alpha_a + physics.alpha_c)
        return (
            np.interp(lithiation, table_x, table_u) + ideal * np.log(x * (1 - x0) / (x0 * (1 - x))),
            np.where(inside, slopes[segment], 0.0) + ideal * (1 / x + 1 / (1 - x)),
        )

    def butler_volmer(self, physics: Physics, c: np.ndarray, phi: np.ndarray, c_s: np.ndarray):
        """Intercalation current density into the cathode (cathode solid at 0 V), A m-2, and its
        derivatives with respect to c, phi and c_s:
            i = i0 [(c/c0) ((1 - x)/(1 - x0)) exp(alpha_c (phi + E0) / V_T) - (x/x0) exp(-alpha_a (phi + E0) / V_T)],
        x = c_s / c_s_max, E0 from :meth:`standard_potential`. The concentration factors make i0
        the exchange current density of the initial state and stop intercalation into a full
        host (x -> 1)."""
        x0, scale = self.initial_lithiation, self.max_concentration
        lithiation = c_s / scale
        U_eq, dU_dx = self.standard_potential(physics, lithiation)
        V_T, i0 = physics.thermal_voltage, physics.exchange_current_density
        forward = np.exp(physics.alpha_c * (phi + U_eq) / V_T) / (physics.c0 * (1 - x0))
        backward = np.exp(-physics.alpha_a * (phi + U_eq) / V_T) / x0
        cathodic, anodic = c * (1 - lithiation) * forward, lithiation * backward
        current = i0 * (cathodic - anodic)
        d_dphi = i0 / V_T * (physics.alpha_c * cathodic + physics.alpha_a * anodic)
        d_dc = i0 * (1 - lithiation) * forward
        d_dcs = (i0 * (-c * forward - backward) + d_dphi * dU_dx) / scale
        return current, d_dc, d_dphi, d_dcs

    def si_values(self) -> dict:
        return {
            "D_m2_s": self.diffusivity,
            "max_concentration_mol_m3": self.max_concentration,
            "initial_lithiation": self.initial_lithiation,
            "U_eq_V": self.U_eq if not self.ocv_lithiation else math.nan,
            "ocv_lithiation": list(self.ocv_lithiation),
            "ocv_voltage_V": list(self.ocv_voltage),
            "saturation_lithiation": self.saturation_lithiation,
            "lithiated_threshold": self.lithiated_threshold,
        }

    def as_params(self) -> dict:
        params = asdict(self)
        params["ocv_lithiation"], params["ocv_voltage"] = list(self.ocv_lithiation), list(self.ocv_voltage)
        return params

    @classmethod
    def from_params(cls, params: dict) -> Cathode:
        return cls(
            **{**params, "ocv_lithiation": tuple(params["ocv_lithiation"]), "ocv_voltage": tuple(params["ocv_voltage"])}
        )


def diffusivity_from_conductivity(conductivity: float, t_plus: float, c0: float, temperature: float) -> float:
    """Li+ diffusivity (m2 s-1) for which the model's conductivity at c0,
    kappa = F^2 (D+ + D-) c0 / (R T) = F^2 D+ c0 / (R T t+), equals ``conductivity`` (S m-1):
    Nernst-Einstein applied to both ions (docs/model.md section 7 gives the single-ion form, t+ -> 1)."""
    return conductivity * GAS_CONSTANT * temperature * t_plus / (FARADAY**2 * c0)


def exchange_current_from_charge_transfer_resistance(
    resistance: float, area: float, temperature: float, alpha_a: float, alpha_c: float
) -> float:
    """i0 (A m-2) from a symmetric Li/SE/Li cell's charge-transfer resistance (ohm; both
    interfaces in series, so each has R_ct / 2) and electrode area (m2): linearised
    Butler-Volmer, R_ct/2 = R T / ((alpha_a + alpha_c) F i0 A)."""
    return GAS_CONSTANT * temperature / ((alpha_a + alpha_c) * FARADAY * (resistance / 2) * area)
