"""Fully coupled Newton for (c, phi) on the electrolyte mesh, adaptive BDF time stepping with a
depletion event, and a stationary solve with continuation in the applied current.

Unknowns are P1 nodal values stacked as x = [c, phi]. The Jacobian is analytic and assembled by
the forms of :mod:`electrolyte3d.forms`; linear systems go to PARDISO through pypardiso.
Boundary conventions: the interface normal points out of the electrolyte into the electrode;
``i_loc`` (Butler-Volmer) is the plating current density into the electrode, so under the applied
current it is positive and removes (1 - t+) i_loc / F of salt from the electrolyte.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import numpy as np
from pypardiso.pardiso_wrapper import PyPardisoError
import scipy.sparse as sp
import skfem
from skfem import asm

from electrolyte3d import forms, sparse
from electrolyte3d.config import SolverSettings
from electrolyte3d.geometry import INTERFACE, TOP
from electrolyte3d.parameters import Physics

log = logging.getLogger(__name__)


@dataclass
class Timer:
    """Wall time spent in assembly and in PARDISO, for the solver statistics."""

    assembly: float = 0.0
    linear_solve: float = 0.0


CHARGE_RTOL = 1e-9
"""Newton also requires the net current balance (interface current minus applied current, the
sum of the current-balance residual) to hold to this fraction of the applied current, so that
charge is conserved to 1e-8 at every step whatever newton_rtol."""


DEPLETION_LOCATION_TOLERANCE = 1e-6
"""The depletion time is located until the interface minimum of c is this close (relative to c0)
to the threshold."""


class NewtonFailure(RuntimeError):
    """Newton did not converge within the iteration limit, or produced a non-finite update."""


class Problem:
    """The discrete reduced Nernst-Planck system of one case on one electrolyte mesh.

    ``source`` is a fixed vector added to the residual [salt; current], zero unless a caller sets
    it (the method-of-manufactured-solutions test does).
    """

    def __init__(self, mesh: skfem.MeshTri, physics: Physics):
        self.mesh = mesh
        self.physics = physics
        element = skfem.ElementTriP1()
        # the volume basis is needed only here (its values at every quadrature point would be a
        # large share of a fine level's memory); the element geometry kept below replaces it
        basis = skfem.Basis(mesh, element)
        self.interface = skfem.FacetBasis(mesh, element, facets=mesh.boundaries[INTERFACE])
        self.top = skfem.FacetBasis(mesh, element, facets=mesh.boundaries[TOP])
        self.nodes = basis.N
        self.lumped_mass = np.asarray(asm(forms.mass, basis).sum(axis=1)).ravel()
        laplace = forms.laplace.coo_data(basis)
        self.laplace = laplace.tocsr()
        self.applied_current_load = physics.current_density * asm(forms.boundary_flux, self.top, rate=1.0)
        self.top_length = asm(forms.boundary_length, self.top)
        self.interface_length = asm(forms.boundary_length, self.interface)
        self.top_nodes = np.unique(mesh.facets[:, mesh.boundaries[TOP]])
        self.interface_nodes = np.unique(mesh.facets[:, mesh.boundaries[INTERFACE]])
        self.free = np.setdiff1d(np.arange(2 * self.nodes), self.top_nodes)
        self.source = np.zeros(2 * self.nodes)
        self.timer = Timer()
        self._plan_jacobian(laplace)
        # P1 element geometry, fixed per mesh: the volume terms of forms.conduction and
        # forms.conduction_concentration_sensitivity are integrated exactly from it (their
        # integrands are linear on each triangle; tests/test_solver.py checks they equal
        # scikit-fem's assembly of the forms), several times faster than generic kernels
        self._dofs = basis.element_dofs
        self._stiffness = laplace.data.reshape(3, 3, -1)  # [trial j, test i, element]
        self._gradients = np.array([phi_i[0].grad[:, :, 0] for phi_i in basis.basis])  # [i, x/y, element]
        self._third_of_area = basis.dx.sum(axis=1) / 3  # integral of each P1 basis function
        self._interface_values = np.array([np.asarray(phi_i[0]) for phi_i in self.interface.basis])
        self._solver = sparse.DirectSolver()
        self._potential_solver = sparse.DirectSolver()

    def _plan_jacobian(self, laplace) -> None:
        """Fix the Jacobian's pattern (free unknowns) and where each term's element or facet data
        lands in it; element forms on one basis share the Laplacian's index pairs."""
        self.element_pairs = laplace.indices
        facet_pairs = forms.boundary_flux_sensitivity.coo_data(self.interface, rate_derivative=1.0).indices
        # c couples to phi only through the interface reaction
        blocks = {(0, 0): self.element_pairs, (0, 1): facet_pairs, (1, 0): self.element_pairs, (1, 1): self.element_pairs}
        self.pattern = sparse.BlockPattern(blocks, self.nodes, self.free)
        laplace_terms = {block: self.pattern.terms([self.pattern.scatter(block, *self.element_pairs)]) for block in ((0, 0), (1, 0))}
        self._laplace_in = {block: self.pattern.fill(terms, [laplace.data]).data for block, terms in laplace_terms.items()}
        diagonal = np.arange(self.nodes)
        facet = {block: self.pattern.scatter(block, *facet_pairs) for block in np.ndindex(2, 2)}
        self._jacobian_terms = self.pattern.terms(
            [
                self.pattern.scatter((0, 0), diagonal, diagonal),
                facet[0, 0],
                facet[0, 1],
                facet[1, 0],
                facet[1, 1],
                self.pattern.scatter((1, 0), *self.element_pairs),
                self.pattern.scatter((1, 1), *self.element_pairs),
            ]
        )
        # the initial state solves the current balance alone: the phi-phi block on its own pattern
        self.potential_pattern = sparse.BlockPattern({(1, 1): self.element_pairs}, self.nodes, np.arange(self.nodes, 2 * self.nodes))
        self._potential_terms = self.potential_pattern.terms(
            [self.potential_pattern.scatter((1, 1), *self.element_pairs), self.potential_pattern.scatter((1, 1), *facet_pairs)]
        )

    @property
    def applied_current(self) -> float:
        """Current fed in through the top per unit depth, A m-1."""
        return self.physics.current_density * self.top_length

    def split(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return x[: self.nodes], x[self.nodes :]

    def interface_rate(self, c: np.ndarray, phi: np.ndarray):
        """Butler-Volmer current and derivatives at the interface quadrature points."""
        dofs = self.interface.element_dofs
        return self.physics.butler_volmer(
            np.einsum("if,ifq->fq", c[dofs], self._interface_values),
            np.einsum("if,ifq->fq", phi[dofs], self._interface_values),
        )

    def interface_current(self, c: np.ndarray, phi: np.ndarray) -> float:
        """Total plating current through the interface per unit depth, A m-1."""
        return asm(forms.boundary_integral, self.interface, rate=self.interface_rate(c, phi)[0])

    def charge_imbalance(self, x: np.ndarray) -> float:
        """|interface current - applied current| / applied current (both per unit depth)."""
        return abs(self.interface_current(*self.split(x)) - self.applied_current) / self.applied_current

    def conduction_data(self, c: np.ndarray) -> np.ndarray:
        """COO data (scikit-fem's order) of forms.conduction: kappa(c) is linear and the P1
        gradients constant, so each element's integral is kappa at the centroid (the mean of the
        vertex values) times the element's P1 stiffness."""
        kappa = self.physics.conductivity_per_concentration * c[self._dofs].mean(axis=0)
        return (self._stiffness * kappa).ravel()

    def conduction_concentration_sensitivity_data(self, phi: np.ndarray) -> np.ndarray:
        """COO data of forms.conduction_concentration_sensitivity: dkappa/dc times the integral
        of the trial function (area / 3) times grad(phi) . grad(v_i), the same for every trial j."""
        grad_phi = np.einsum("ie,ide->de", phi[self._dofs], self._gradients)
        per_test = np.einsum("de,ide->ie", grad_phi, self._gradients) * self._third_of_area
        per_test *= self.physics.conductivity_per_concentration
        return np.broadcast_to(per_test, (3, *per_test.shape)).ravel()

    def residual(self, x: np.ndarray, mass_coefficient: float = 0.0, history: np.ndarray | None = None) -> np.ndarray:
        """Residual [salt; current] of all unknowns at x. The time derivative is approximated as
        dc/dt = mass_coefficient * c + history (BDF); mass_coefficient = 0 is the steady problem."""
        started = time.perf_counter()
        physics = self.physics
        c, phi = self.split(x)
        rows, cols = self.element_pairs
        plating = asm(forms.boundary_flux, self.interface, rate=self.interface_rate(c, phi)[0])
        laplace_c = self.laplace @ c
        storage = self.lumped_mass * (mass_coefficient * c + (0 if history is None else history))
        residual = np.concatenate(
            [
                storage + physics.D_ambipolar * laplace_c + physics.salt_consumed_per_charge * plating,
                np.bincount(rows, weights=self.conduction_data(c) * phi[cols], minlength=self.nodes)
                + physics.diffusion_current_coefficient * laplace_c
                + plating
                - self.applied_current_load,
            ]
        ) + self.source
        self.timer.assembly += time.perf_counter() - started
        return residual

    def jacobian(self, x: np.ndarray, mass_coefficient: float = 0.0) -> sp.csr_matrix:
        """Jacobian of :meth:`residual` in the free unknowns, on the fixed pattern."""
        started = time.perf_counter()
        physics = self.physics
        c, phi = self.split(x)
        _, rate_dc, rate_dphi = self.interface_rate(c, phi)
        plating_dc = forms.boundary_flux_sensitivity.coo_data(self.interface, rate_derivative=rate_dc).data
        plating_dphi = forms.boundary_flux_sensitivity.coo_data(self.interface, rate_derivative=rate_dphi).data
        salt_loss = physics.salt_consumed_per_charge
        jacobian = self.pattern.fill(
            self._jacobian_terms,
            [
                mass_coefficient * self.lumped_mass,
                salt_loss * plating_dc,
                salt_loss * plating_dphi,
                plating_dc,
                plating_dphi,
                self.conduction_concentration_sensitivity_data(phi),
                self.conduction_data(c),
            ],
            constant=physics.D_ambipolar * self._laplace_in[0, 0]
            + physics.diffusion_current_coefficient * self._laplace_in[1, 0],
        )
        self.timer.assembly += time.perf_counter() - started
        return jacobian

    def potential_jacobian(self, x: np.ndarray) -> sp.csr_matrix:
        """The phi-phi block of :meth:`jacobian` (current balance against phi, c held fixed)."""
        started = time.perf_counter()
        c, phi = self.split(x)
        _, _, rate_dphi = self.interface_rate(c, phi)
        plating_dphi = forms.boundary_flux_sensitivity.coo_data(self.interface, rate_derivative=rate_dphi).data
        block = self.potential_pattern.fill(self._potential_terms, [self.conduction_data(c), plating_dphi])
        self.timer.assembly += time.perf_counter() - started
        return block

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
            update[self.free] = self.linear_solve(self._solver, jacobian, -residual[self.free])
            if not np.all(np.isfinite(update)):
                raise NewtonFailure(f"non-finite Newton update (singular Jacobian?) at iteration {iteration + 1}")
            c = self.split(x)[0]
            dc, dphi = self.split(update)
            shrinking = dc < 0
            step = min(1.0, 0.5 * np.min(c[shrinking] / -dc[shrinking])) if shrinking.any() else 1.0
            x += step * update
            scaled_update = max(np.max(np.abs(dc)) / self.physics.c0, np.max(np.abs(dphi)) / self.potential_scale(x))
            small_update = step == 1.0 and scaled_update <= settings.newton_rtol
        raise NewtonFailure(
            f"Newton did not converge in {settings.newton_max_iterations} iterations (last scaled update "
            f"{scaled_update:.3g}, step fraction {step:.3g}, current balance residual {charge_residual:.3g})"
        )

    def charge_residual(self, residual: np.ndarray) -> float:
        """|sum of the current-balance residual| relative to the applied current: the test
        functions sum to one, so the conduction terms cancel and this is the charge imbalance."""
        return abs(residual[self.nodes :].sum()) / self.applied_current

    def potential_scale(self, x: np.ndarray) -> float:
        return max(np.max(np.abs(self.split(x)[1])), self.physics.thermal_voltage)

    def release_linear_solvers(self) -> None:
        """Free the PARDISO factorisations (before writing results, which need memory too)."""
        self._solver.release()
        self._potential_solver.release()

    def linear_solve(self, direct: sparse.DirectSolver, matrix: sp.csr_matrix, rhs: np.ndarray) -> np.ndarray:
        """PARDISO's solution; its refusals (an empty row, a PARDISO error) become a NewtonFailure,
        so the step is retried shorter and, if that keeps failing, the case ends as diverged with
        the message. (PARDISO perturbs tiny pivots of a numerically singular matrix and returns a
        huge update, which Newton then fails to converge with.)"""
        started = time.perf_counter()
        try:
            solution = direct.solve(matrix, rhs)
        except (ValueError, PyPardisoError) as error:
            raise NewtonFailure(f"linear solve failed: {error}") from None
        finally:
            self.timer.linear_solve += time.perf_counter() - started
        return solution

    def initial_state(self, settings: SolverSettings) -> np.ndarray:
        """c = c0 everywhere and the potential that carries the applied current through it (the
        consistent initial condition): Newton on the current balance with c fixed, converged
        like :meth:`newton`."""
        physics = self.physics
        mean_current = self.applied_current / self.interface_length
        x = np.concatenate(
            [np.full(self.nodes, physics.c0), np.full(self.nodes, physics.interface_potential(mean_current, physics.c0))]
        )
        potential = np.arange(self.nodes, 2 * self.nodes)
        small_update = False
        for _ in range(settings.newton_max_iterations * 3):
            residual = self.residual(x)
            if small_update and self.charge_residual(residual) <= CHARGE_RTOL:
                return x
            update = self.linear_solve(self._potential_solver, self.potential_jacobian(x), -residual[potential])
            x[potential] += update
            small_update = np.max(np.abs(update)) <= settings.newton_rtol * self.potential_scale(x)
        raise NewtonFailure("no consistent initial potential: Newton on the current balance did not converge")


@dataclass
class Snapshot:
    """The state at one output time; ``scheduled`` when that time is one of the report times."""

    time: float
    x: np.ndarray
    scheduled: bool = False


@dataclass
class Solution:
    """What a solve produced: snapshots at report times (and at the final time), the status
    ('completed', 'depleted', 'diverged', 'no_steady_state'), and solver statistics."""

    status: str
    snapshots: list[Snapshot]
    message: str = ""
    depletion_time: float | None = None
    steps: int = 0
    rejected_steps: int = 0
    newton_iterations: int = 0
    current_fraction: float = 1.0
    max_charge_imbalance: float = 0.0
    wall_time: float = 0.0
    assembly_time: float = 0.0
    linear_solve_time: float = 0.0

    def finish(self, problem: Problem, started: float) -> Solution:
        """Record the wall time since ``started`` and the assembly/PARDISO split."""
        self.wall_time = time.perf_counter() - started
        self.assembly_time = problem.timer.assembly
        self.linear_solve_time = problem.timer.linear_solve
        return self


def _bdf_coefficients(step: float, previous_step: float | None) -> tuple[float, float, float]:
    """Variable-step BDF2 (BDF1 without a previous step): dc/dt ~ (a0 c_new + a1 c + a2 c_prev) / step."""
    if previous_step is None:
        return 1.0, -1.0, 0.0
    ratio = step / previous_step
    return (1 + 2 * ratio) / (1 + ratio), -(1 + ratio), ratio**2 / (1 + ratio)


def _extrapolate(times: list[float], states: list[np.ndarray], target: float) -> np.ndarray:
    """Polynomial through the last (up to three) accepted states, evaluated at ``target``."""
    result = np.zeros_like(states[-1])
    for j, (tj, xj) in enumerate(zip(times, states)):
        weight = math.prod((target - tm) / (tj - tm) for m, tm in enumerate(times) if m != j)
        result += weight * xj
    return result


def transient(problem: Problem, settings: SolverSettings, report_times: np.ndarray) -> Solution:
    """Integrate from the consistent initial state to ``settings.end_time`` (or depletion).

    Steps are variable-step BDF2 with the local error of c estimated against a polynomial
    predictor (Milne's device) and kept below ``time_rtol * c0`` in the max norm. Steps land on
    every report time. When the interface minimum of c falls below ``depletion_fraction * c0``,
    the crossing time is located by re-solving the step (regula falsi on its length) and the
    case stops with status 'depleted'."""
    started = time.perf_counter()
    physics = problem.physics
    threshold = settings.depletion_fraction * physics.c0
    interface_nodes = problem.interface_nodes
    try:
        x = problem.initial_state(settings)
    except NewtonFailure as failure:
        return _no_initial_state(problem, failure, started)
    solution = Solution(status="completed", snapshots=[Snapshot(0.0, x.copy())])
    times, states = [0.0], [x.copy()]
    pending_reports = [t for t in np.sort(report_times) if 0 < t <= settings.end_time]
    step = settings.initial_step
    failures = 0

    def advance(step: float):
        previous_step = times[-1] - times[-2] if len(times) > 1 else None
        a0, a1, a2 = _bdf_coefficients(step, previous_step)
        c_now = problem.split(states[-1])[0]
        c_before = problem.split(states[-2])[0] if len(states) > 1 else 0.0
        history = (a1 * c_now + a2 * c_before) / step
        guess = _extrapolate(times[-3:], states[-3:], times[-1] + step)
        guess[: problem.nodes] = np.maximum(guess[: problem.nodes], 0.5 * c_now)
        return problem.newton(guess, settings, mass_coefficient=a0 / step, history=history)

    def log_step(t, dt, iterations, update, x_new):
        c_min = problem.split(x_new)[0][interface_nodes].min()
        imbalance = problem.charge_imbalance(x_new)
        solution.max_charge_imbalance = max(solution.max_charge_imbalance, imbalance)
        log.info(
            "t %.6e s  dt %.3e s  newton %d  update %.2e  min c_interface %.6g mol/m3  charge imbalance %.1e",
            t, dt, iterations, update, c_min, imbalance,
        )

    while times[-1] < settings.end_time * (1 - 1e-12):
        t = times[-1]
        target = min([settings.end_time, *pending_reports[:1]])
        if t + step >= target * (1 - 1e-12):
            step = target - t
        elif t + 2 * step > target:
            step = (target - t) / 2
        try:
            x_new, iterations, update = advance(step)
        except NewtonFailure as failure:
            failures += 1
            solution.rejected_steps += 1
            log.warning("t %.6e s: step %.3e s rejected: %s", t, step, failure)
            step /= 4
            if failures >= settings.max_step_failures or step < settings.min_step:
                reason = (
                    f"Newton failed {failures} times in a row"
                    if failures >= settings.max_step_failures
                    else f"the step fell below {settings.min_step:.3g} s"
                )
                solution.status = "diverged"
                solution.message = f"{reason} at t = {t:.6g} s (last failure: {failure})"
                log.error("case diverged: %s", solution.message)
                break
            continue
        solution.newton_iterations += iterations
        order = min(len(times), 3)
        predictor = _extrapolate(times[-order:], states[-order:], t + step)
        error = (
            step / (t + step - times[-order]) * np.max(np.abs(problem.split(x_new - predictor)[0]))
            / (settings.time_rtol * physics.c0)
        )
        if len(times) > 1 and error > 1:
            solution.rejected_steps += 1
            log.info("t %.6e s: step %.3e s rejected, local error %.2f x tolerance", t, step, error)
            step *= max(0.2, 0.9 * error ** (-1 / 3))
            continue
        failures = 0
        c_min = problem.split(x_new)[0][interface_nodes].min()
        if c_min < threshold:
            x_new, step, located_in = _locate_depletion(problem, advance, step, x_new, threshold, states[-1])
            solution.newton_iterations += located_in
        times.append(t + step)
        states.append(x_new)
        times, states = times[-3:], states[-3:]
        solution.steps += 1
        log_step(times[-1], step, iterations, update, x_new)
        if c_min < threshold:
            solution.status = "depleted"
            solution.depletion_time = times[-1]
            solution.snapshots.append(Snapshot(times[-1], x_new.copy()))
            log.info("interface depleted below %.4g mol/m3 at t = %.6g s", threshold, times[-1])
            break
        if pending_reports and math.isclose(times[-1], pending_reports[0], rel_tol=1e-12):
            solution.snapshots.append(Snapshot(pending_reports.pop(0), x_new.copy(), scheduled=True))
        step *= min(2.0, 0.9 * max(error, 1e-6) ** (-1 / 3)) if len(times) > 2 else 2.0
    if solution.snapshots[-1].time < times[-1]:
        solution.snapshots.append(Snapshot(times[-1], states[-1].copy()))
    return solution.finish(problem, started)


def _no_initial_state(problem: Problem, failure: NewtonFailure, started: float) -> Solution:
    message = f"no consistent initial state: {failure}"
    log.error("case diverged: %s", message)
    return Solution(status="diverged", snapshots=[], message=message).finish(problem, started)


def _locate_depletion(problem, advance, step, x_end, threshold, x_start):
    """Shorten the step so that it ends where the interface minimum of c meets the threshold
    (regula falsi on the step length, starting from linear interpolation within the step).
    Returns the state, the step and the Newton iterations spent; if a shortened step fails to
    converge, the best bracketing end state found so far."""
    nodes = problem.interface_nodes

    def interface_minimum(x):
        return problem.split(x)[0][nodes].min()

    low = (0.0, interface_minimum(x_start))
    high = (step, interface_minimum(x_end), x_end)
    iterations = 0
    for _ in range(8):
        trial = low[0] + (high[0] - low[0]) * (low[1] - threshold) / (low[1] - high[1])
        try:
            x_trial, spent, _ = advance(trial)
        except NewtonFailure as failure:
            log.warning("locating the depletion time: step %.3e s failed (%s); keeping t + %.3e s", trial, failure, high[0])
            break
        iterations += spent
        c_min = interface_minimum(x_trial)
        if c_min > threshold:
            low = (trial, c_min)
        else:
            high = (trial, c_min, x_trial)
        if abs(c_min - threshold) <= DEPLETION_LOCATION_TOLERANCE * problem.physics.c0:
            return x_trial, trial, iterations
    return high[2], high[0], iterations


def stationary(problem: Problem, settings: SolverSettings) -> Solution:
    """Steady state by Newton, with continuation in the applied current when the full current
    fails from the initial state. Status 'no_steady_state' when the continuation stalls (the
    limiting current is exceeded); the snapshot is then the last converged state, at the
    reached fraction of the current (``Solution.current_fraction``)."""
    started = time.perf_counter()
    full_load = problem.applied_current_load.copy()
    try:
        x = problem.initial_state(settings)
    except NewtonFailure as failure:
        return _no_initial_state(problem, failure, started)
    fraction, increment = 0.0, 1.0
    solution = Solution(status="completed", snapshots=[])
    while fraction < 1.0:
        trial = min(1.0, fraction + increment)
        problem.applied_current_load = trial * full_load
        try:
            x_trial, iterations, update = problem.newton(x, settings)
        except NewtonFailure as failure:
            increment /= 2
            log.info("current fraction %.6g: %s; halving the increment", trial, failure)
            if increment < 1e-4:
                solution.status = "no_steady_state"
                solution.message = (
                    f"no steady state: continuation in the applied current stalled at {fraction:.4g} of it "
                    "(the limiting current is exceeded or c reaches zero at the interface)"
                )
                log.error(solution.message)
                break
            continue
        fraction, x = trial, x_trial
        solution.newton_iterations += iterations
        solution.max_charge_imbalance = problem.charge_imbalance(x)
        solution.steps += 1
        log.info("current fraction %.6g converged in %d Newton iterations (update %.2e), min c %.6g mol/m3", fraction, iterations, update, problem.split(x)[0].min())
        increment *= 2
    problem.applied_current_load = full_load
    solution.current_fraction = fraction
    if fraction > 0:
        solution.snapshots.append(Snapshot(0.0, x))
    return solution.finish(problem, started)
