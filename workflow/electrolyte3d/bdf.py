"""Variable-order (1-5), quasi-constant-step backward differentiation formulas.

The arithmetic of Shampine and Reichelt's ode15s (SIAM J. Sci. Comput. 18, 1997) as scipy's
``solve_ivp(method="BDF")`` implements it: the numerical differentiation formulas (NDF, the BDF
with Klopfenstein's kappa correction) kept as a table of modified backward differences. A step
size change interpolates that table to the new step, so every formula is a constant-step formula
and its stability does not depend on the history of step ratios. This module holds only the
formulas; :func:`electrolyte3d.time_stepping.transient` drives them with the Newton solver.

With d = x(t+h) - x_predicted and psi from the table, the method's equation for M dx/dt = f(x) is
``M (d + psi) / c = f(x)``, ``c = h / alpha[order]``: so the residual's time derivative is
``mass_coefficient * x + history`` with ``mass_coefficient = 1 / c`` and
``history = (psi - x_predicted) / c``.
"""

from __future__ import annotations

import numpy as np

MAX_ORDER = 5

KAPPA = np.array([0.0, -0.1850, -1.0 / 9.0, -0.0823, -0.0415, 0.0])
"""Klopfenstein's coefficients of the NDFs (Shampine and Reichelt, Table 1); 0 at order 5, which
is the plain BDF5."""

GAMMA = np.concatenate([[0.0], np.cumsum(1.0 / np.arange(1, MAX_ORDER + 1))])
ALPHA = (1.0 - KAPPA) * GAMMA
ERROR_CONSTANT = KAPPA * GAMMA + 1.0 / np.arange(1, MAX_ORDER + 2)
"""Leading local-error coefficient of each order's formula, applied to d = x - x_predicted."""


def _interpolation_matrix(order: int, factor: float) -> np.ndarray:
    rows = np.arange(1, order + 1)[:, None]
    cols = np.arange(1, order + 1)
    matrix = np.zeros((order + 1, order + 1))
    matrix[1:, 1:] = (rows - 1 - factor * cols) / rows
    matrix[0] = 1
    return np.cumprod(matrix, axis=0)


class DifferenceTable:
    """The modified divided differences D[0..order+2] of the solution at the current step size
    (D[0] the last accepted state, D[j] ~ h^j x^(j)), their predictor, and the formulas."""

    def __init__(self, x0: np.ndarray, derivative: np.ndarray, step: float):
        self.table = np.zeros((MAX_ORDER + 3, x0.size))
        self.table[0] = x0
        self.table[1] = derivative * step
        self.order = 1
        self.step = step

    @property
    def leading_coefficient(self) -> float:
        """1 / c: the coefficient of x in the method's time derivative."""
        return ALPHA[self.order] / self.step

    def predict(self) -> np.ndarray:
        return self.table[: self.order + 1].sum(axis=0)

    def history(self, predicted: np.ndarray) -> np.ndarray:
        """(psi - x_predicted) / c: the rest of the method's time derivative (all unknowns)."""
        order = self.order
        psi = self.table[1 : order + 1].T @ GAMMA[1 : order + 1] / ALPHA[order]
        return (psi - predicted) * self.leading_coefficient

    def local_error(self, correction: np.ndarray) -> np.ndarray:
        """The local error estimate of a step whose solution is x_predicted + correction."""
        return ERROR_CONSTANT[self.order] * correction

    def rescale(self, factor: float) -> None:
        """Change the step to factor * step, interpolating the table (ode15s's change of D)."""
        order = self.order
        change = _interpolation_matrix(order, factor) @ _interpolation_matrix(order, 1.0)
        self.table[: order + 1] = change.T @ self.table[: order + 1]
        self.step *= factor

    def accept(self, correction: np.ndarray) -> None:
        """Update the table with an accepted step's correction d."""
        order = self.order
        self.table[order + 2] = correction - self.table[order + 1]
        self.table[order + 1] = correction
        for j in reversed(range(order + 1)):
            self.table[j] += self.table[j + 1]

    def neighbour_errors(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Local error estimates the last step would have had at order - 1 and order + 1 (None
        where that order does not exist), from the table after :meth:`accept`."""
        order = self.order
        lower = ERROR_CONSTANT[order - 1] * self.table[order] if order > 1 else None
        higher = ERROR_CONSTANT[order + 1] * self.table[order + 2] if order < MAX_ORDER else None
        return lower, higher

    def dense(self, time: float, step_end: float) -> np.ndarray:
        """The interpolating polynomial of the last accepted step (ending at ``step_end``) at
        ``time`` within it: the method's own dense output, of the step's order."""
        order = self.order
        shifts = step_end - self.step * np.arange(order)
        factors = np.cumprod((time - shifts) / (self.step * (1 + np.arange(order))))
        return self.table[0] + self.table[1 : order + 1].T @ factors
