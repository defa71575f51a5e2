"""Fully coupled Newton for (c, phi) on the electrolyte mesh (and c_s on a cathode's mesh),
adaptive BDF time stepping with depletion and saturation events, and a stationary solve with
continuation in the applied current.

Unknowns are P1 nodal values stacked as x = [c, phi] (x = [c, phi, c_s] with a cathode). The
Jacobian is analytic and assembled by the forms of :mod:`electrolyte3d.forms`; linear systems go
to PARDISO through pypardiso. Boundary conventions: the interface normal points out of the
electrolyte into the electrode; ``i_loc`` (Butler-Volmer) is the plating (or intercalation)
current density into the electrode, so under the applied
current it is positive and removes (1 - t+) i_loc / F of salt from the electrolyte.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import skfem
from pypardiso.pardiso_wrapper import PyPardisoError
from scipy.optimize import brentq
from skfem import asm

from electrolyte3d import bdf, forms, sparse
from electrolyte3d.geometry import INTERFACE, TOP
from electrolyte3d.parameters import FARADAY, Cathode, Physics
from electrolyte3d.settings import SolverSettings

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


EVENT_LOCATION_TOLERANCE = 1e-6
"""An event time is located until the event margin (the interface minimum of c relative to c0,
or the interface lithiation) is this close to its threshold."""


class NewtonFailure(RuntimeError):
    """Newton did not converge within the iteration limit, or produced a non-finite update."""


def p1_element(mesh: skfem.Mesh) -> skfem.Element:
    """The linear Lagrange element of a triangle (2D) or tetrahedron (3D) mesh, or of a line (a
    1D film, which the verification tests solve against the exact slab series)."""
    if isinstance(mesh, skfem.MeshLine1):
        return skfem.ElementLineP1()
    return skfem.ElementTetP1() if isinstance(mesh, skfem.MeshTet) else skfem.ElementTriP1()


class Problem:
    """The discrete reduced Nernst-Planck system of one case on one electrolyte mesh.

    ``source`` is a fixed vector added to the residual [salt; current], zero unless a caller sets
    it (the method-of-manufactured-solutions test does).
    """

    def __init__(self, mesh: skfem.MeshTri | skfem.MeshTet, physics: Physics):
        self.mesh = mesh
        self.physics = physics
        element = p1_element(mesh)
        # the volume basis is needed only here (its values at every quadrature point would be a
        # large share of a fine level's memory); the element geometry kept below replaces it
        basis = skfem.Basis(mesh, element)
        self.interface = skfem.FacetBasis(mesh, element, facets=mesh.boundaries[INTERFACE])
        self.top = skfem.FacetBasis(mesh, element, facets=mesh.boundaries[TOP])
        self.nodes = basis.N
        self.lumped_mass = forms.lumped_mass(basis)
        laplace = forms.laplace.coo_data(basis)
        self.laplace = laplace.tocsr()
        self.applied_current_load = physics.current_density * asm(forms.boundary_flux, self.top, rate=1.0)
        self.top_measure = asm(forms.boundary_measure, self.top)
        self.interface_measure = asm(forms.boundary_measure, self.interface)
        self.top_nodes = np.unique(mesh.facets[:, mesh.boundaries[TOP]])
        self.interface_nodes = np.unique(mesh.facets[:, mesh.boundaries[INTERFACE]])
        self.unknowns = sum(self.field_sizes)
        self.free = np.setdiff1d(np.arange(self.unknowns), self.top_nodes)
        self.source = np.zeros(self.unknowns)
        # the unknowns under a time derivative (c here), with their lumped masses
        self.storage = np.arange(self.nodes)
        self.storage_mass = self.lumped_mass
        self.timer = Timer()
        self._plan_jacobian(laplace)
        # P1 element geometry, fixed per mesh: the volume terms of forms.conduction and
        # forms.conduction_concentration_sensitivity are integrated exactly from it (their
        # integrands are linear on each triangle or tetrahedron; tests/test_solver.py checks they
        # equal scikit-fem's assembly of the forms), several times faster than generic kernels
        self._dofs = basis.element_dofs
        vertices = self._dofs.shape[0]
        self._stiffness = laplace.data.reshape(vertices, vertices, -1)  # [trial j, test i, element]
        self._gradients = np.array([phi_i[0].grad[:, :, 0] for phi_i in basis.basis])  # [i, x/y(/z), element]
        self._basis_integral = basis.dx.sum(axis=1) / vertices  # integral of each P1 basis function
        self._interface_values = np.array([np.asarray(phi_i[0]) for phi_i in self.interface.basis])
        self._solver = sparse.DirectSolver()
        self._potential_solver = sparse.DirectSolver()

    def _plan_jacobian(self, laplace) -> None:
        """Fix the Jacobian's pattern (free unknowns) and where each term's element or facet data
        lands in it; element forms on one basis share the Laplacian's index pairs."""
        self.element_pairs = laplace.indices
        facet_pairs = forms.boundary_flux_sensitivity.coo_data(self.interface, rate_derivative=1.0).indices
        # c couples to phi only through the interface reaction
        blocks = {
            (0, 0): self.element_pairs,
            (0, 1): facet_pairs,
            (1, 0): self.element_pairs,
            (1, 1): self.element_pairs,
        }
        blocks.update(self._electrode_blocks(facet_pairs))
        self.pattern = sparse.BlockPattern(blocks, self.field_sizes, self.free)
        diagonal = np.arange(self.nodes)
        facet = {block: self.pattern.scatter(block, *facet_pairs) for block in np.ndindex(2, 2)}
        self._jacobian_scatters = [
            self.pattern.scatter((0, 0), diagonal, diagonal),
            facet[0, 0],
            facet[0, 1],
            facet[1, 0],
            facet[1, 1],
            self.pattern.scatter((1, 0), *self.element_pairs),
            self.pattern.scatter((1, 1), *self.element_pairs),
        ]
        laplace_terms = [self.pattern.scatter(block, *self.element_pairs) for block in ((0, 0), (1, 0))]
        self._jacobian_constant = self.pattern.fill(
            self.pattern.terms(laplace_terms),
            [self.physics.D_ambipolar * laplace.data, self.physics.diffusion_current_coefficient * laplace.data],
        ).data
        self._plan_electrode(facet_pairs)
        self._jacobian_terms = self.pattern.terms(self._jacobian_scatters)
        # the initial state solves the current balance alone: the phi-phi block on its own pattern
        self.potential_pattern = sparse.BlockPattern(
            {(1, 1): self.element_pairs}, (self.nodes, self.nodes), np.arange(self.nodes, 2 * self.nodes)
        )
        self._potential_terms = self.potential_pattern.terms(
            [
                self.potential_pattern.scatter((1, 1), *self.element_pairs),
                self.potential_pattern.scatter((1, 1), *facet_pairs),
            ]
        )

    @property
    def field_sizes(self) -> tuple[int, ...]:
        """Nodes of each field of the state: c and phi on the electrolyte nodes."""
        return (self.nodes, self.nodes)

    def _electrode_blocks(self, facet_pairs: np.ndarray) -> dict:
        """Jacobian blocks of the electrode's unknowns: none for a Li metal electrode."""
        return {}

    def _plan_electrode(self, facet_pairs: np.ndarray) -> None:
        """Add the electrode's Jacobian terms to the plan: none for a Li metal electrode."""

    def _electrode_residual(self, x: np.ndarray, plating: np.ndarray) -> np.ndarray:
        """Residual of the electrode's equations: none for a Li metal electrode."""
        return np.empty(0)

    def _electrode_jacobian_values(self, mass_coefficient: float, plating_derivatives: dict) -> list:
        return []

    @property
    def applied_current(self) -> float:
        """Current fed in through the top: per unit depth in 2D (A m-1), through the cell in 3D (A)."""
        return self.physics.current_density * self.top_measure

    def split(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The electrolyte fields c and phi of a state (views)."""
        return x[: self.nodes], x[self.nodes : 2 * self.nodes]

    def at_interface(self, nodal: np.ndarray) -> np.ndarray:
        """A P1 field on the electrolyte nodes at the interface quadrature points (facet, point)."""
        return np.einsum("if,ifq->fq", nodal[self.interface.element_dofs], self._interface_values)

    def interface_rate(self, x: np.ndarray) -> tuple[np.ndarray, dict[int, np.ndarray]]:
        """Butler-Volmer current at the interface quadrature points, and its derivative with
        respect to each field it depends on (0 = c, 1 = phi)."""
        c, phi = self.split(x)
        current, d_dc, d_dphi = self.physics.butler_volmer(self.at_interface(c), self.at_interface(phi))
        return current, {0: d_dc, 1: d_dphi}

    def local_current(self, x: np.ndarray, nodes: np.ndarray) -> np.ndarray:
        """Butler-Volmer current density (A m-2) at electrolyte ``nodes`` on the interface."""
        c, phi = self.split(x)
        return self.physics.butler_volmer(c[nodes], phi[nodes])[0]

    def interface_current(self, x: np.ndarray) -> float:
        """Total reaction current (plating or intercalation) through the interface, in the units of
        :attr:`applied_current`."""
        return asm(forms.boundary_integral, self.interface, rate=self.interface_rate(x)[0])

    def charge_imbalance(self, x: np.ndarray) -> float:
        """|interface current - applied current| / applied current."""
        return abs(self.interface_current(x) - self.applied_current) / self.applied_current

    def conduction_data(self, c: np.ndarray) -> np.ndarray:
        """COO data (scikit-fem's order) of forms.conduction: kappa(c) is linear and the P1
        gradients constant, so each element's integral is kappa at the centroid (the mean of the
        vertex values) times the element's P1 stiffness."""
        kappa = self.physics.conductivity_per_concentration * c[self._dofs].mean(axis=0)
        return (self._stiffness * kappa).ravel()

    def conduction_concentration_sensitivity_data(self, phi: np.ndarray) -> np.ndarray:
        """COO data of forms.conduction_concentration_sensitivity: dkappa/dc times the integral
        of the trial function (element measure / vertices) times grad(phi) . grad(v_i), the same
        for every trial j."""
        grad_phi = np.einsum("ie,ide->de", phi[self._dofs], self._gradients)
        per_test = np.einsum("de,ide->ie", grad_phi, self._gradients) * self._basis_integral
        per_test *= self.physics.conductivity_per_concentration
        return np.broadcast_to(per_test, (per_test.shape[0], *per_test.shape)).ravel()

    def residual(self, x: np.ndarray, mass_coefficient: float = 0.0, history: np.ndarray | None = None) -> np.ndarray:
        """Residual [salt; current] of all unknowns at x. The time derivative is approximated as
        dc/dt = mass_coefficient * c + history (BDF); mass_coefficient = 0 is the steady problem."""
        started = time.perf_counter()
        physics = self.physics
        c, phi = self.split(x)
        rows, cols = self.element_pairs
        plating = asm(forms.boundary_flux, self.interface, rate=self.interface_rate(x)[0])
        laplace_c = self.laplace @ c
        residual = (
            np.concatenate(
                [
                    physics.D_ambipolar * laplace_c + physics.salt_consumed_per_charge * plating,
                    np.bincount(rows, weights=self.conduction_data(c) * phi[cols], minlength=self.nodes)
                    + physics.diffusion_current_coefficient * laplace_c
                    + plating
                    - self.applied_current_load,
                    self._electrode_residual(x, plating),
                ]
            )
            + self.source
        )
        residual[self.storage] += self.storage_mass * (
            mass_coefficient * x[self.storage] + (0 if history is None else history)
        )
        self.timer.assembly += time.perf_counter() - started
        return residual

    def jacobian(self, x: np.ndarray, mass_coefficient: float = 0.0) -> sp.csr_matrix:
        """Jacobian of :meth:`residual` in the free unknowns, on the fixed pattern."""
        started = time.perf_counter()
        c, phi = self.split(x)
        plating = {
            field: forms.boundary_flux_sensitivity.coo_data(self.interface, rate_derivative=derivative).data
            for field, derivative in self.interface_rate(x)[1].items()
        }
        salt_loss = self.physics.salt_consumed_per_charge
        jacobian = self.pattern.fill(
            self._jacobian_terms,
            [
                mass_coefficient * self.lumped_mass,
                salt_loss * plating[0],
                salt_loss * plating[1],
                plating[0],
                plating[1],
                self.conduction_concentration_sensitivity_data(phi),
                self.conduction_data(c),
                *self._electrode_jacobian_values(mass_coefficient, plating),
            ],
            constant=self._jacobian_constant,
        )
        self.timer.assembly += time.perf_counter() - started
        return jacobian

    def potential_jacobian(self, x: np.ndarray) -> sp.csr_matrix:
        """The phi-phi block of :meth:`jacobian` (current balance against phi, c held fixed)."""
        started = time.perf_counter()
        rate_dphi = self.interface_rate(x)[1][1]
        plating_dphi = forms.boundary_flux_sensitivity.coo_data(self.interface, rate_derivative=rate_dphi).data
        block = self.potential_pattern.fill(
            self._potential_terms, [self.conduction_data(self.split(x)[0]), plating_dphi]
        )
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

    def step_length(self, x: np.ndarray, update: np.ndarray) -> float:
        """The Newton step fraction that goes at most half way to c = 0 anywhere (1 if c grows)."""
        c, dc = self.split(x)[0], self.split(update)[0]
        return _fraction_within(c, dc, 0.0, math.inf)

    def scaled_update(self, x: np.ndarray, update: np.ndarray) -> float:
        """Largest update: c relative to c0, phi to max(|phi|, RT/F)."""
        dc, dphi = self.split(update)
        return max(np.max(np.abs(dc)) / self.physics.c0, np.max(np.abs(dphi)) / self.potential_scale(x))

    def storage_error(self, difference: np.ndarray) -> float:
        """Largest difference of the stored quantities (c relative to c0) between two states."""
        return np.max(np.abs(self.split(difference)[0])) / self.physics.c0

    def admissible_guess(self, guess: np.ndarray, current: np.ndarray) -> np.ndarray:
        """An extrapolated guess with c kept at least half of the current state's."""
        guess[: self.nodes] = np.maximum(guess[: self.nodes], 0.5 * current[: self.nodes])
        return guess

    def event_margin(self, x: np.ndarray, settings: SolverSettings) -> tuple[float, str]:
        """How far x is from ending the case (negative once it should have), and the status it
        would end with: the interface minimum of c above the depletion threshold, over c0."""
        c_min = self.split(x)[0][self.interface_nodes].min()
        return (c_min - settings.depletion_fraction * self.physics.c0) / self.physics.c0, "depleted"

    def initial_guess(self) -> np.ndarray:
        """c = c0 and the interface potential that carries the mean current at c0."""
        mean_current = self.applied_current / self.interface_measure
        phi = self.physics.interface_potential(mean_current, self.physics.c0)
        return np.concatenate([np.full(self.nodes, self.physics.c0), np.full(self.nodes, phi)])

    def charge_residual(self, residual: np.ndarray) -> float:
        """|sum of the current-balance residual| relative to the applied current: the test
        functions sum to one, so the conduction terms cancel and this is the charge imbalance."""
        return abs(residual[self.nodes : 2 * self.nodes].sum()) / self.applied_current

    def potential_scale(self, x: np.ndarray) -> float:
        return max(np.max(np.abs(self.split(x)[1])), self.physics.thermal_voltage)

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

    def initial_state(self, settings: SolverSettings) -> np.ndarray:
        """c = c0 everywhere and the potential that carries the applied current through it (the
        consistent initial condition)."""
        return self.consistent_potential(self.initial_guess(), settings.newton_rtol, settings, chord=False)

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

    def error_scale(self, x: np.ndarray, rtol: float, settings: SolverSettings) -> np.ndarray:
        """Per unknown, the size of an acceptable error: ``rtol`` times |c| (but no less than
        the depletion threshold, where the results are read), times max(|phi|, RT/F) for phi."""
        c, _ = self.split(x)
        return np.concatenate(
            [
                rtol * np.maximum(np.abs(c), settings.depletion_fraction * self.physics.c0),
                np.full(self.nodes, rtol * self.potential_scale(x)),
            ]
        )

    def time_derivative(self, x: np.ndarray) -> np.ndarray:
        """dx/dt of the stored unknowns at a consistent state x (0 for the potential and on the
        top, where c is held): -(steady residual) / lumped mass."""
        derivative = np.zeros_like(x)
        derivative[self.storage] = -self.residual(x)[self.storage] / self.storage_mass
        derivative[self.top_nodes] = 0.0
        return derivative


class CathodeProblem(Problem):
    """The electrolyte of :class:`Problem` on an intercalation cathode (docs/model.md section 4): a
    third field, the intercalated Li concentration c_s on the cathode's own mesh,

        dc_s/dt = div(D_s grad c_s)         in the cathode, c_s = c_s0 at t = 0
        -D_s grad c_s . n = i_loc / F       at the interface (n into the cathode)
        D_s grad c_s . n = 0                on the current collector and the sides

    with i_loc the intercalation Butler-Volmer of :class:`~electrolyte3d.parameters.Cathode`,
    which depends on c, phi and c_s at the interface. One Newton system in x = [c, phi, c_s].
    The two meshes share the interface nodes (gmsh meshes the cross-section conformingly), so
    an interface facet of the electrolyte is also one of the cathode, with the same basis."""

    def __init__(self, mesh: skfem.MeshTri, cathode_mesh: skfem.MeshTri, physics: Physics, cathode: Cathode):
        self.cathode_mesh = cathode_mesh
        self.cathode = cathode
        basis = skfem.Basis(cathode_mesh, skfem.ElementTriP1())
        self.solid_nodes = basis.N
        self.solid_mass = asm(forms.mass, basis).tocsr()  # consistent; the cathode metrics need it
        self.solid_lumped_mass = forms.lumped_mass(basis)
        self._solid_laplace = forms.laplace.coo_data(basis)
        self.solid_laplace = self._solid_laplace.tocsr()
        super().__init__(mesh, physics)
        solid = 2 * self.nodes + np.arange(self.solid_nodes)
        self.storage = np.concatenate([self.storage, solid])
        self.storage_mass = np.concatenate([self.lumped_mass, self.solid_lumped_mass])

    @property
    def field_sizes(self) -> tuple[int, ...]:
        return (self.nodes, self.nodes, self.solid_nodes)

    def solid(self, x: np.ndarray) -> np.ndarray:
        """c_s of a state (a view)."""
        return x[2 * self.nodes :]

    def _match_interface(self) -> None:
        """``to_solid``: the cathode node of each electrolyte interface node (-1 elsewhere),
        matched by coordinates, which are the same gmsh nodes in both parts."""
        cathode_mesh = self.cathode_mesh
        solid_interface = np.unique(cathode_mesh.facets[:, cathode_mesh.boundaries[INTERFACE]])

        def by_position(points, nodes):
            return nodes[np.lexsort((points[1, nodes], points[0, nodes]))]

        electrolyte = by_position(self.mesh.p, self.interface_nodes)
        solid = by_position(cathode_mesh.p, solid_interface)
        if electrolyte.size != solid.size or not np.array_equal(self.mesh.p[:, electrolyte], cathode_mesh.p[:, solid]):
            raise ValueError("the electrolyte and cathode meshes do not share their interface nodes")
        self.to_solid = np.full(self.nodes, -1)
        self.to_solid[electrolyte] = solid

    def _solid_nodes_of(self, nodes: np.ndarray) -> np.ndarray:
        """The cathode nodes of electrolyte interface ``nodes``."""
        solid = self.to_solid[nodes]
        if np.any(solid < 0):
            raise ValueError("a node off the interface has no cathode node")
        return solid

    def _electrode_blocks(self, facet_pairs: np.ndarray) -> dict:
        # a facet basis pairs each interface node with its triangle's third node too, off the
        # interface (to_solid -1): those entries are zero and the pattern leaves them out
        self._match_interface()
        rows, cols = facet_pairs
        return {
            (0, 2): np.stack([rows, self.to_solid[cols]]),
            (1, 2): np.stack([rows, self.to_solid[cols]]),
            (2, 0): np.stack([self.to_solid[rows], cols]),
            (2, 1): np.stack([self.to_solid[rows], cols]),
            (2, 2): self._solid_laplace.indices,
        }

    def _plan_electrode(self, facet_pairs: np.ndarray) -> None:
        rows, cols = facet_pairs
        pattern, diagonal = self.pattern, np.arange(self.solid_nodes)
        self._jacobian_scatters += [
            pattern.scatter((2, 2), diagonal, diagonal),
            pattern.scatter((0, 2), rows, self.to_solid[cols]),
            pattern.scatter((1, 2), rows, self.to_solid[cols]),
            pattern.scatter((2, 0), self.to_solid[rows], cols),
            pattern.scatter((2, 1), self.to_solid[rows], cols),
            pattern.scatter((2, 2), self.to_solid[rows], self.to_solid[cols]),
        ]
        diffusion = pattern.terms([pattern.scatter((2, 2), *self._solid_laplace.indices)])
        self._jacobian_constant = (
            self._jacobian_constant
            + pattern.fill(diffusion, [self.cathode.diffusivity * self._solid_laplace.data]).data
        )

    def _solid_at_interface_nodes(self, x: np.ndarray) -> np.ndarray:
        """c_s on the electrolyte's node numbering: its value at the interface nodes, 0 elsewhere."""
        values = np.zeros(self.nodes)
        values[self.interface_nodes] = self.solid(x)[self.to_solid[self.interface_nodes]]
        return values

    def interface_rate(self, x: np.ndarray) -> tuple[np.ndarray, dict[int, np.ndarray]]:
        c, phi = self.split(x)
        current, d_dc, d_dphi, d_dcs = self.cathode.butler_volmer(
            self.physics,
            self.at_interface(c),
            self.at_interface(phi),
            self.at_interface(self._solid_at_interface_nodes(x)),
        )
        return current, {0: d_dc, 1: d_dphi, 2: d_dcs}

    def local_current(self, x: np.ndarray, nodes: np.ndarray) -> np.ndarray:
        c, phi = self.split(x)
        return self.cathode.butler_volmer(
            self.physics, c[nodes], phi[nodes], self.solid(x)[self._solid_nodes_of(nodes)]
        )[0]

    def _electrode_residual(self, x: np.ndarray, plating: np.ndarray) -> np.ndarray:
        nodes = self.interface_nodes
        intercalation = np.bincount(self.to_solid[nodes], weights=plating[nodes], minlength=self.solid_nodes)
        return self.cathode.diffusivity * (self.solid_laplace @ self.solid(x)) - intercalation / FARADAY

    def _electrode_jacobian_values(self, mass_coefficient: float, plating_derivatives: dict) -> list:
        salt_loss = self.physics.salt_consumed_per_charge
        return [
            mass_coefficient * self.solid_lumped_mass,
            salt_loss * plating_derivatives[2],
            plating_derivatives[2],
            -plating_derivatives[0] / FARADAY,
            -plating_derivatives[1] / FARADAY,
            -plating_derivatives[2] / FARADAY,
        ]

    def step_length(self, x: np.ndarray, update: np.ndarray) -> float:
        """As :meth:`Problem.step_length`, and at most half way to c_s = 0 or c_s_max."""
        solid = _fraction_within(self.solid(x), self.solid(update), 0.0, self.cathode.max_concentration)
        return min(super().step_length(x, update), solid)

    def scaled_update(self, x: np.ndarray, update: np.ndarray) -> float:
        return max(
            super().scaled_update(x, update), np.max(np.abs(self.solid(update))) / self.cathode.max_concentration
        )

    def storage_error(self, difference: np.ndarray) -> float:
        return max(
            super().storage_error(difference), np.max(np.abs(self.solid(difference))) / self.cathode.max_concentration
        )

    def error_scale(self, x: np.ndarray, rtol: float, settings: SolverSettings) -> np.ndarray:
        """As :meth:`Problem.error_scale`, and ``rtol`` times c_s (no less than its initial value)."""
        solid = rtol * np.maximum(np.abs(self.solid(x)), self.cathode.initial_concentration)
        return np.concatenate([super().error_scale(x, rtol, settings), solid])

    def admissible_guess(self, guess: np.ndarray, current: np.ndarray) -> np.ndarray:
        guess = super().admissible_guess(guess, current)
        now = self.solid(current)
        np.clip(self.solid(guess), 0.5 * now, now + 0.5 * (self.cathode.max_concentration - now), out=self.solid(guess))
        return guess

    def interface_lithiation(self, x: np.ndarray) -> np.ndarray:
        """c_s / c_s_max at the cathode's interface nodes."""
        return self.solid(x)[self.to_solid[self.interface_nodes]] / self.cathode.max_concentration

    def event_margin(self, x: np.ndarray, settings: SolverSettings) -> tuple[float, str]:
        """As :meth:`Problem.event_margin`, or the interface's largest lithiation below the
        saturation lithiation ('saturated'), whichever is nearer."""
        depletion = super().event_margin(x, settings)
        saturation = (self.cathode.saturation_lithiation - self.interface_lithiation(x).max(), "saturated")
        return min(depletion, saturation)

    def initial_guess(self) -> np.ndarray:
        """c = c0, c_s = c_s0, and the interface potential that carries the mean current then."""
        guess = super().initial_guess()
        guess[self.nodes :] -= self.cathode.standard_potential(self.physics, np.array(self.cathode.initial_lithiation))[
            0
        ]
        return np.concatenate([guess, np.full(self.solid_nodes, self.cathode.initial_concentration)])

    def lithium_gained(self, x: np.ndarray) -> float:
        """Li the cathode holds beyond its initial content, per unit depth, mol m-1."""
        return float(self.solid_lumped_mass @ (self.solid(x) - self.cathode.initial_concentration))


def problem_for(
    mesh: skfem.Mesh, physics: Physics, cathode_mesh: skfem.MeshTri | None = None, cathode: Cathode | None = None
) -> Problem:
    """The discrete problem of a case: on a Li metal anode, or with ``cathode`` on its mesh."""
    return Problem(mesh, physics) if cathode is None else CathodeProblem(mesh, cathode_mesh, physics, cathode)


@dataclass
class Snapshot:
    """The state at one output time; ``scheduled`` when that time is one of the report times."""

    time: float
    x: np.ndarray
    scheduled: bool = False


@dataclass
class Solution:
    """What a solve produced: snapshots at report times (and at the final time), the status
    ('completed', 'depleted', 'saturated', 'diverged', 'no_steady_state'), and solver statistics.
    ``event_time`` is when a 'depleted' or 'saturated' case ended."""

    status: str
    snapshots: list[Snapshot]
    message: str = ""
    event_time: float | None = None
    steps: int = 0
    rejected_steps: int = 0
    newton_iterations: int = 0
    factorisations: int = 0
    current_fraction: float = 1.0
    max_charge_imbalance: float = 0.0
    wall_time: float = 0.0
    assembly_time: float = 0.0
    linear_solve_time: float = 0.0

    def finish(self, problem: Problem, started: float) -> Solution:
        """Record the wall time since ``started`` and the assembly/PARDISO split."""
        self.wall_time = time.perf_counter() - started
        self.factorisations = problem.factorisations
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
    """Integrate from the consistent initial state to ``settings.end_time`` (or an event) with
    the integrator ``settings.integrator`` names: 'bdf' (:func:`variable_order_bdf`, the default)
    or 'bdf2' (:func:`bdf2`, the integrator before it, kept for comparison)."""
    integrate = {"bdf": variable_order_bdf, "bdf2": bdf2}[settings.integrator]
    return integrate(problem, settings, np.asarray(report_times, dtype=float))


LOCAL_ERROR_FRACTION = 0.1
"""The variable-order integrator bounds each step's local error by this fraction of time_rtol
(relative, in the max norm of :meth:`Problem.error_scale`), so that the error the steps add up
to stays below time_rtol: tests/test_time_stepping.py measures it on the slab series."""

CHORD_MAX_ITERATIONS = 6
CHORD_TOLERANCE = 0.03
"""Chord Newton stops when its estimated remaining error is this fraction of the local error
tolerance (scipy's BDF and ode15s use the same 3 %)."""

CHORD_RATE_LIMIT = 0.3
"""A potential-only chord iteration whose updates shrink slower than this refactorises."""

STEP_FACTOR_LIMITS = (0.2, 10.0)
"""Smallest and largest change of the step size at one step change (ode15s's limits)."""


def variable_order_bdf(problem: Problem, settings: SolverSettings, report_times: np.ndarray) -> Solution:
    """Variable-order (1-5), quasi-constant-step NDF/BDF (:mod:`electrolyte3d.bdf`, the method of
    MATLAB's ode15s and scipy's BDF, which also solve index-1 DAEs such as this c-phi system).

    Each step's local error of c (and c_s), relative to c but no less than the depletion
    threshold, is kept below ``LOCAL_ERROR_FRACTION * time_rtol`` in the max norm. The step size
    and order change only after order + 1 steps at the same size (or after a rejected step), so
    a step reuses the Jacobian factorisation of the steps before it: chord Newton
    (:meth:`Problem.chord_newton`) refactorises only when the step size or order changed or the
    iteration converges slowly. Report times and events are not stepped to: the method's
    interpolating polynomial gives c (and c_s) there, and the potential is solved to be
    consistent with it, so every snapshot satisfies the current balance. The event (the interface
    minimum of c at ``depletion_fraction * c0``, or a cathode's saturation) is located on the
    same polynomial by Brent's method."""
    started = time.perf_counter()
    try:
        x = problem.initial_state(settings)
    except NewtonFailure as failure:
        return _no_initial_state(problem, failure, started)
    solution = Solution(status="completed", snapshots=[Snapshot(0.0, x.copy())])
    local_rtol = LOCAL_ERROR_FRACTION * settings.time_rtol
    pending = [float(t) for t in np.sort(report_times) if 0 < t <= settings.end_time]
    if not pending or pending[-1] < settings.end_time:
        pending.append(settings.end_time)
    scheduled = set(float(t) for t in report_times)
    table = bdf.DifferenceTable(x, problem.time_derivative(x), settings.initial_step)
    storage = problem.storage
    t, equal_steps, failures, factorised_at, rate, last_accepted = 0.0, 0, 0, None, None, x
    failure = first_failure = "none"

    def snapshot_at(moment: float, step_end: float) -> np.ndarray:
        return problem.consistent_potential(table.dense(moment, step_end), CHORD_TOLERANCE * local_rtol, settings)

    while True:
        if table.step < settings.min_step or failures >= settings.max_step_failures:
            _diverge(solution, settings, failures, t, failure, first_failure)
            if solution.snapshots[-1].time < t:
                solution.snapshots.append(Snapshot(t, last_accepted))
            break
        predicted = table.predict()
        coefficient = table.leading_coefficient
        history = table.history(predicted)[storage]
        scale = problem.error_scale(predicted, local_rtol, settings)
        try:
            fresh = factorised_at != coefficient
            if fresh:
                problem.factorise(predicted, coefficient)
                factorised_at, rate = coefficient, None
            try:
                x_new, iterations, rate = problem.chord_newton(predicted, coefficient, history, scale, rate)
            except NewtonFailure:
                if fresh:
                    raise
                problem.factorise(predicted, coefficient)
                factorised_at = coefficient
                x_new, iterations, rate = problem.chord_newton(predicted, coefficient, history, scale)
        except NewtonFailure as error:
            failure = error
            first_failure = failure if failures == 0 else first_failure
            failures += 1
            solution.rejected_steps += 1
            log.warning("t %.6e s: step %.3e s rejected: %s", t, table.step, failure)
            table.rescale(0.5)
            equal_steps = 0
            continue
        solution.newton_iterations += iterations
        failures = 0
        correction = x_new - predicted
        accepted_scale = problem.error_scale(x_new, local_rtol, settings)[storage]
        error = np.max(np.abs(table.local_error(correction)[storage]) / accepted_scale)
        safety = 0.9 * (2 * CHORD_MAX_ITERATIONS + 1) / (2 * CHORD_MAX_ITERATIONS + iterations)
        if error > 1:
            solution.rejected_steps += 1
            log.info(
                "t %.6e s: step %.3e s (order %d) rejected, local error %.2f x tolerance",
                t,
                table.step,
                table.order,
                error,
            )
            table.rescale(max(STEP_FACTOR_LIMITS[0], safety * error ** (-1 / (table.order + 1))))
            equal_steps = 0
            continue
        step_end = t + table.step
        table.accept(correction)
        last_accepted = x_new
        solution.steps += 1
        equal_steps += 1
        imbalance = problem.charge_imbalance(x_new)
        solution.max_charge_imbalance = max(solution.max_charge_imbalance, imbalance)
        log.info(
            "t %.6e s  dt %.3e s  order %d  newton %d  local error %.2f x tolerance  min c_interface %.6g "
            "mol/m3  charge imbalance %.1e",
            step_end,
            table.step,
            table.order,
            iterations,
            error,
            problem.split(x_new)[0][problem.interface_nodes].min(),
            imbalance,
        )
        event_time = None
        if problem.event_margin(x_new, settings)[0] < 0:
            event_time = brentq(
                lambda moment, step_end=step_end: problem.event_margin(table.dense(moment, step_end), settings)[0],
                t,
                step_end,
                xtol=1e-15 * step_end,
                rtol=4 * np.finfo(float).eps,
            )
        horizon = step_end if event_time is None else event_time
        while pending and pending[0] <= horizon * (1 + 1e-12):
            moment = pending.pop(0)
            solution.snapshots.append(Snapshot(moment, snapshot_at(moment, step_end), scheduled=moment in scheduled))
        if event_time is not None:
            state = snapshot_at(event_time, step_end)
            solution.status = problem.event_margin(state, settings)[1]
            solution.event_time = event_time
            solution.snapshots.append(Snapshot(event_time, state))
            log.info("case %s at t = %.6g s", solution.status, event_time)
            break
        if not pending:
            break
        t = step_end
        if equal_steps < table.order + 1:
            continue
        # order and step for the next steps: the order whose error estimate allows the longest step
        lower, higher = table.neighbour_errors()
        norms = np.array(
            [np.inf if e is None else np.max(np.abs(e[storage]) / accepted_scale) for e in (lower, None, higher)]
        )
        norms[1] = error
        with np.errstate(divide="ignore"):
            factors = norms ** (-1.0 / np.arange(table.order, table.order + 3))
        table.order += int(np.argmax(factors)) - 1
        table.rescale(min(STEP_FACTOR_LIMITS[1], safety * np.max(factors)))
        equal_steps = 0
    return solution.finish(problem, started)


def bdf2(problem: Problem, settings: SolverSettings, report_times: np.ndarray) -> Solution:
    """Integrate from the consistent initial state to ``settings.end_time`` (or an event).

    Steps are variable-step BDF2 with the local error of c (and c_s) estimated against a
    polynomial predictor (Milne's device) and kept below ``time_rtol`` times c0 (c_s_max) in the
    max norm. Steps land on every report time. When the interface minimum of c falls below
    ``depletion_fraction * c0`` (or a cathode's interface reaches its saturation lithiation),
    the crossing time is located by re-solving the step (regula falsi on its length) and the
    case stops with status 'depleted' (or 'saturated')."""
    started = time.perf_counter()
    interface_nodes = problem.interface_nodes

    def margin(x: np.ndarray) -> float:
        return problem.event_margin(x, settings)[0]

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
        stored_now = states[-1][problem.storage]
        stored_before = states[-2][problem.storage] if len(states) > 1 else 0.0
        history = (a1 * stored_now + a2 * stored_before) / step
        guess = problem.admissible_guess(_extrapolate(times[-3:], states[-3:], times[-1] + step), states[-1])
        return problem.newton(guess, settings, mass_coefficient=a0 / step, history=history)

    def log_step(t, dt, iterations, update, x_new):
        c_min = problem.split(x_new)[0][interface_nodes].min()
        imbalance = problem.charge_imbalance(x_new)
        solution.max_charge_imbalance = max(solution.max_charge_imbalance, imbalance)
        log.info(
            "t %.6e s  dt %.3e s  newton %d  update %.2e  min c_interface %.6g mol/m3  charge imbalance %.1e",
            t,
            dt,
            iterations,
            update,
            c_min,
            imbalance,
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
                _diverge(solution, settings, failures, t, failure)
                break
            continue
        solution.newton_iterations += iterations
        order = min(len(times), 3)
        predictor = _extrapolate(times[-order:], states[-order:], t + step)
        error = step / (t + step - times[-order]) * problem.storage_error(x_new - predictor) / settings.time_rtol
        if len(times) > 1 and error > 1:
            solution.rejected_steps += 1
            log.info("t %.6e s: step %.3e s rejected, local error %.2f x tolerance", t, step, error)
            step *= max(0.2, 0.9 * error ** (-1 / 3))
            continue
        failures = 0
        ending = margin(x_new) < 0
        if ending:
            x_new, step, located_in = _locate_event(margin, advance, step, x_new, states[-1])
            solution.newton_iterations += located_in
        times.append(t + step)
        states.append(x_new)
        times, states = times[-3:], states[-3:]
        solution.steps += 1
        log_step(times[-1], step, iterations, update, x_new)
        if ending:
            solution.status = problem.event_margin(x_new, settings)[1]
            solution.event_time = times[-1]
            solution.snapshots.append(Snapshot(times[-1], x_new.copy()))
            log.info("case %s at t = %.6g s", solution.status, times[-1])
            break
        if pending_reports and math.isclose(times[-1], pending_reports[0], rel_tol=1e-12):
            solution.snapshots.append(Snapshot(pending_reports.pop(0), x_new.copy(), scheduled=True))
        step *= min(2.0, 0.9 * max(error, 1e-6) ** (-1 / 3)) if len(times) > 2 else 2.0
    if solution.snapshots[-1].time < times[-1]:
        solution.snapshots.append(Snapshot(times[-1], states[-1].copy()))
    return solution.finish(problem, started)


def _diverge(
    solution: Solution, settings: SolverSettings, failures: int, t: float, failure, first_failure=None
) -> None:
    """End a transient solve as diverged: too many Newton failures in a row, or too short a step;
    the message names the last failure and the one that began the run of failures."""
    reason = (
        f"Newton failed {failures} times in a row"
        if failures >= settings.max_step_failures
        else f"the step fell below {settings.min_step:.3g} s"
    )
    first = (
        f"; first failure: {first_failure}" if first_failure is not None and str(first_failure) != str(failure) else ""
    )
    solution.status = "diverged"
    solution.message = f"{reason} at t = {t:.6g} s (last failure: {failure}{first})"
    log.error("case diverged: %s", solution.message)


def _no_initial_state(problem: Problem, failure: NewtonFailure, started: float) -> Solution:
    message = f"no consistent initial state: {failure}"
    log.error("case diverged: %s", message)
    return Solution(status="diverged", snapshots=[], message=message).finish(problem, started)


def _locate_event(margin, advance, step, x_end, x_start):
    """Shorten the step so that it ends where the event ``margin`` (a function of the state,
    positive before the event) crosses zero: regula falsi on the step length, starting from
    linear interpolation within the step. Returns the state, the step and the Newton iterations
    spent; if a shortened step fails to converge, the best bracketing end state found so far."""
    low = (0.0, margin(x_start))
    high = (step, margin(x_end), x_end)
    iterations = 0
    for _ in range(8):
        trial = low[0] + (high[0] - low[0]) * low[1] / (low[1] - high[1])
        try:
            x_trial, spent, _ = advance(trial)
        except NewtonFailure as failure:
            log.warning("locating the event time: step %.3e s failed (%s); keeping t + %.3e s", trial, failure, high[0])
            break
        iterations += spent
        value = margin(x_trial)
        if value > 0:
            low = (trial, value)
        else:
            high = (trial, value, x_trial)
        if abs(value) <= EVENT_LOCATION_TOLERANCE:
            return x_trial, trial, iterations
    return high[2], high[0], iterations


def _fraction_within(values: np.ndarray, update: np.ndarray, low: float, high: float) -> float:
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
        log.info(
            "current fraction %.6g converged in %d Newton iterations (update %.2e), min c %.6g mol/m3",
            fraction,
            iterations,
            update,
            problem.split(x)[0].min(),
        )
        increment *= 2
    problem.applied_current_load = full_load
    solution.current_fraction = fraction
    if fraction > 0:
        solution.snapshots.append(Snapshot(0.0, x))
    return solution.finish(problem, started)
