"""Newton's method on a discrete problem's residual F(x) and Jacobian J = dF/dx (:mod:`electrolyte3d.problem`).

Full Newton (the steady problem, the BDF2 integrator and the continuation in the applied current)
solves, from a guess x_0,

    J(x_k) dx_k = -F(x_k),    x_{k+1} = x_k + s_k dx_k,

with the largest step fraction s_k <= 1 that goes at most half way to a bound of the stored
fields (c > 0, and 0 < c_s < c_s_max with a cathode). It has converged when a full step's update
is below ``newton_rtol`` (c relative to c0, phi to max(|phi|, RT/F)) and the current balance
holds: the test functions sum to one, so the sum of the current-balance residual is the net
current through the interface minus the applied current, and it must be below ``CHARGE_RTOL`` of
the applied current.

Chord (simplified) Newton (the variable-order BDF) keeps the factorisation of J(x*) from an
earlier iteration or step: J(x*) dx_k = -F(x_k). Its updates shrink by the rate
rho = |dx_k| / |dx_(k-1)| (weighted max norm), so the error left after dx_k is about
rho / (1 - rho) |dx_k|; that must be below ``CHORD_TOLERANCE``.

The consistent potential solves the current balance alone, F_phi(c, phi) = 0 for phi with c (and
c_s) held, by Newton or chord iterations on J's phi-phi block: the initial condition, and every
interpolated snapshot of the variable-order BDF.

Linear systems go to PARDISO through :class:`electrolyte3d.sparse.DirectSolver`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from pypardiso.pardiso_wrapper import PyPardisoError

from electrolyte3d import sparse
from electrolyte3d.settings import SolverSettings

CHARGE_RTOL = 1e-9
"""Newton also requires the net current balance (interface current minus applied current, the
sum of the current-balance residual) to hold to this fraction of the applied current, so that
charge is conserved to 1e-8 at every step whatever newton_rtol."""

CHORD_MAX_ITERATIONS = 6
CHORD_TOLERANCE = 0.03
"""Chord Newton stops when its estimated remaining error is this fraction of the local error
tolerance (scipy's BDF and ode15s use the same 3 %)."""

CHORD_RATE_LIMIT = 0.3
"""A potential-only chord iteration whose updates shrink slower than this refactorises."""


class NewtonFailure(RuntimeError):
    """Newton did not converge within the iteration limit, or produced a non-finite update."""


@dataclass
class Timer:
    """Wall time spent in assembly and in PARDISO, for the solver statistics."""

    assembly: float = 0.0
    linear_solve: float = 0.0


def fraction_within(values: np.ndarray, update: np.ndarray, low: float, high: float) -> float:
    """The largest step fraction (at most 1) that goes at most half way from ``values`` to the
    bounds ``low`` and ``high`` anywhere along ``update``."""
    step = 1.0
    falling, rising = update < 0, update > 0
    with np.errstate(over="ignore"):  # a denormal update allows an infinite fraction: the 1 stands
        if falling.any():
            step = min(step, 0.5 * np.min((values[falling] - low) / -update[falling]))
        if rising.any() and math.isfinite(high):
            step = min(step, 0.5 * np.min((high - values[rising]) / update[rising]))
    return step


class NewtonSystem:
    """The Newton iterations of a discrete problem and the PARDISO solvers they factorise.

    A subclass (:class:`electrolyte3d.problem.Problem`) provides the system: ``residual(x,
    mass_coefficient, history)``, ``jacobian(x, mass_coefficient)`` on its ``free`` unknowns,
    ``potential_jacobian(x)`` (the phi-phi block), the layout (``nodes``: c then phi, c held at
    ``physics.c0`` on ``top_nodes``) and its measures of a state: ``step_length``,
    ``scaled_update``, ``charge_residual`` and ``potential_scale``."""

    def __init__(self):
        self.timer = Timer()
        self._solver = sparse.DirectSolver()
        self._potential_solver = sparse.DirectSolver()

    def newton(self, x: np.ndarray, settings: SolverSettings, mass_coefficient: float = 0.0, history=None):
        """Solve the (time-discrete or steady) system from the guess x; returns (x, linear
        solves, last scaled update).

        Converged means: the last update is below ``newton_rtol`` (scaled) and the current
        balance holds to ``CHARGE_RTOL`` of the applied current. Updates that would make c
        non-positive are shortened (c stays positive), and a shortened update never counts as
        converged. The guess's c on the top is reset to c0 (an extrapolated guess would carry
        round-off into the Dirichlet values)."""
        x = x.copy()
        x[self.top_nodes] = self.physics.c0
        small_update, scaled_update, step = False, np.inf, 1.0
        for iteration in range(settings.newton_max_iterations + 1):
            residual = self.residual(x, mass_coefficient, history)
            charge_residual = self.charge_residual(residual)
            if small_update and charge_residual <= CHARGE_RTOL:
                return x, iteration, scaled_update
            if iteration == settings.newton_max_iterations:
                break
            update = np.zeros_like(x)
            jacobian = self.jacobian(x, mass_coefficient)
            update[self.free] = self.linear_solve(self._solver.solve, jacobian, -residual[self.free])
            if not np.all(np.isfinite(update)):
                raise NewtonFailure(f"non-finite Newton update (singular Jacobian?) at iteration {iteration + 1}")
            step = self.step_length(x, update)
            x += step * update
            scaled_update = self.scaled_update(x, update)
            small_update = step == 1.0 and scaled_update <= settings.newton_rtol
        raise NewtonFailure(
            f"Newton did not converge in {settings.newton_max_iterations} iterations (last scaled update "
            f"{scaled_update:.3g}, step fraction {step:.3g}, current balance residual {charge_residual:.3g})"
        )

    def release_linear_solvers(self) -> None:
        """Free the PARDISO factorisations (before writing results, which need memory too)."""
        self._solver.release()
        self._potential_solver.release()

    def linear_solve(self, operation, *arguments):
        """A PARDISO operation (a DirectSolver method: ``solve(matrix, rhs)``, ``factorise(matrix)``
        or ``solve_factored(rhs)``); its refusals (an empty row, a PARDISO error) become a
        NewtonFailure, so the step is retried shorter and, if that keeps failing, the case ends as
        diverged with the message. (PARDISO perturbs tiny pivots of a numerically singular matrix
        and returns a huge update, which Newton then fails to converge with.)"""
        started = time.perf_counter()
        try:
            return operation(*arguments)
        except (ValueError, PyPardisoError) as error:
            raise NewtonFailure(f"linear solve failed: {error}") from None
        finally:
            self.timer.linear_solve += time.perf_counter() - started

    @property
    def factorisations(self) -> int:
        """Numerical factorisations of the Jacobian and of its potential block so far."""
        return self._solver.factorisations + self._potential_solver.factorisations

    def consistent_potential(
        self, x: np.ndarray, rtol: float, settings: SolverSettings, chord: bool = True
    ) -> np.ndarray:
        """The state with x's concentrations and the potential that satisfies the current balance
        with them: Newton on the current balance with c (and c_s) fixed, until the potential
        update is below ``rtol`` of :meth:`potential_scale` and the charge balance holds to
        ``CHARGE_RTOL``. With ``chord`` (a guess close to the answer, such as an interpolated
        state) it iterates on the factorisation kept from the last call and refactorises when
        that converges slowly; an update that grows is undone and redone on a new factorisation."""
        x = x.copy()
        potential = np.arange(self.nodes, 2 * self.nodes)
        small_update, refactorise, previous = False, not (chord and self._potential_solver.factored), math.inf
        for _ in range(settings.newton_max_iterations * 3):
            residual = self.residual(x)
            if small_update and self.charge_residual(residual) <= CHARGE_RTOL:
                return x
            if refactorise:
                self.linear_solve(self._potential_solver.factorise, self.potential_jacobian(x))
            update = self.linear_solve(self._potential_solver.solve_factored, -residual[potential])
            size = np.max(np.abs(update)) / self.potential_scale(x)
            if not refactorise and size > previous:
                refactorise = True
                continue
            x[potential] += update
            small_update = size <= rtol
            refactorise = not chord or size > CHORD_RATE_LIMIT * previous
            previous = size
        raise NewtonFailure("no consistent potential: Newton on the current balance did not converge")

    def factorise(self, x: np.ndarray, mass_coefficient: float) -> None:
        """Factorise the Jacobian at x for :meth:`chord_newton`."""
        self.linear_solve(self._solver.factorise, self.jacobian(x, mass_coefficient))

    def chord_newton(
        self,
        guess: np.ndarray,
        mass_coefficient: float,
        history: np.ndarray,
        scale: np.ndarray,
        rate_guess: float | None = None,
    ):
        """Solve the time-discrete system by chord (simplified) Newton iterations on the
        factorisation of :meth:`factorise` (made at the same mass coefficient, at an earlier
        state of this step or of an earlier one). The iteration error is measured in the weighted
        max norm of ``scale`` (per unknown) and estimated from the convergence rate: converged
        when rate / (1 - rate) * |update| <= CHORD_TOLERANCE and the charge balance holds to
        ``CHARGE_RTOL``. ``rate_guess`` is the rate the last step observed on the same
        factorisation: with it the first update can already be judged converged, as in IDA.
        Raises NewtonFailure when the rate predicts no convergence within CHORD_MAX_ITERATIONS.
        Returns (x, iterations, the observed rate or None)."""
        x = guess.copy()
        x[self.top_nodes] = self.physics.c0
        previous, converged, rate = None, False, rate_guess
        for iteration in range(CHORD_MAX_ITERATIONS + 1):
            residual = self.residual(x, mass_coefficient, history)
            if converged and self.charge_residual(residual) <= CHARGE_RTOL:
                return x, iteration, rate
            if iteration == CHORD_MAX_ITERATIONS:
                break
            update = np.zeros_like(x)
            update[self.free] = self.linear_solve(self._solver.solve_factored, -residual[self.free])
            if not np.all(np.isfinite(update)):
                raise NewtonFailure(f"non-finite Newton update (singular Jacobian?) at iteration {iteration + 1}")
            size = np.max(np.abs(update) / scale)
            if previous is not None:
                rate = size / previous
            if previous is not None and (
                rate >= 1 or rate ** (CHORD_MAX_ITERATIONS - iteration) / (1 - rate) * size > CHORD_TOLERANCE
            ):
                raise NewtonFailure(
                    f"chord iteration converges too slowly (rate {rate:.3g} at iteration {iteration + 1})"
                )
            step = self.step_length(x, update)
            x += step * update
            converged = step == 1.0 and (
                size == 0 or (rate is not None and rate / (1 - rate) * size <= CHORD_TOLERANCE)
            )
            previous = size
        raise NewtonFailure(f"chord iteration did not converge in {CHORD_MAX_ITERATIONS} iterations")
