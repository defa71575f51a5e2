"""The discrete reduced Nernst-Planck system of one case on its electrolyte mesh, with a Li metal
electrode (docs/model.md section 2): P1 nodal values x = [c, phi], the residual and its analytic
Jacobian, term by term.

In the electrolyte, with the normal n out of the electrolyte (into the electrode at the interface),

    dc/dt = div(D_amb grad c),    div i = 0,    i = -kappa(c) grad phi - F (D+ - D-) grad c,
    c = c0 and -i . n = i_app                              on the top
    -D_amb grad c . n = (1 - t+) i_loc / F,  i . n = i_loc    at the interface
    grad c . n = 0,  i . n = 0                             elsewhere

with kappa(c) = (kappa / c) c and i_loc(c, phi) the Butler-Volmer reaction current density into
the electrode (plating here, intercalation on a cathode): positive under the applied current, it
removes (1 - t+) i_loc / F of salt from the electrolyte. Tested with the P1 basis v_i, with K
the Laplacian (stiffness) matrix, M the lumped mass, K_kappa(c) the conduction matrix (K with
each edge weighted by kappa at its midpoint, :meth:`Problem.conduction_data`) and R_i =
int_interface i_loc v_i the reaction term, the residual is

    F_c   = M dc/dt + D_amb K c + (1 - t+)/F R(c, phi)                         salt balance
    F_phi = K_kappa(c) phi + F (D+ - D-) K c + R(c, phi) - int_top i_app v_i   current balance

(plus ``source``), where dc/dt = mass_coefficient c + history is the time discretisation's
(mass_coefficient = 0: the steady problem). The Jacobian is the sum of named
:class:`JacobianTerm`, each the derivative of one of these terms in one field, in the block
(equation, field) it fills:

    salt_diffusion        (c, c)      D_amb K
    salt_storage          (c, c)      mass_coefficient M
    salt_reaction_c       (c, c)      (1 - t+)/F dR/dc
    salt_reaction_phi     (c, phi)    (1 - t+)/F dR/dphi
    current_diffusion     (phi, c)    F (D+ - D-) K
    current_reaction_c    (phi, c)    dR/dc
    current_reaction_phi  (phi, phi)  dR/dphi
    conduction_c          (phi, c)    d(K_kappa(c) phi)/dc
    conduction_phi        (phi, phi)  K_kappa(c)

The rows of c on the top (Dirichlet) are left out. The Newton iterations on this system are
:class:`electrolyte3d.newton.NewtonSystem`'s.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import skfem
from skfem import asm

from electrolyte3d import forms, sparse
from electrolyte3d.geometry import INTERFACE, TOP
from electrolyte3d.newton import NewtonSystem, fraction_within
from electrolyte3d.parameters import Physics
from electrolyte3d.settings import SolverSettings

C, PHI, C_S = 0, 1, 2
"""The fields of a state (its block rows and columns): salt concentration, potential, and a
cathode's intercalated Li concentration."""

POTENTIAL_TERMS = ("conduction_phi", "current_reaction_phi")
"""The Jacobian's terms of the current balance in phi: :meth:`Problem.potential_jacobian`, in
the order it sums them."""


def p1_element(mesh: skfem.Mesh) -> skfem.Element:
    """The linear Lagrange element of a triangle (2D) or tetrahedron (3D) mesh, or of a line (a
    1D film, which the verification tests solve against the exact slab series)."""
    if isinstance(mesh, skfem.MeshLine1):
        return skfem.ElementLineP1()
    return skfem.ElementTetP1() if isinstance(mesh, skfem.MeshTet) else skfem.ElementTriP1()


@dataclass(frozen=True)
class Linearisation:
    """The state a Jacobian is evaluated at, as its terms read it: the electrolyte fields, the
    time discretisation's mass coefficient, and per field (C, PHI, C_S) the COO data on the
    interface facets of the reaction term's derivative, int_interface di_loc/dfield u v."""

    c: np.ndarray
    phi: np.ndarray
    mass_coefficient: float
    reaction: dict[int, np.ndarray]


@dataclass(frozen=True)
class JacobianTerm:
    """One term of the Jacobian: COO ``values`` at the node ``pairs`` (2, m: row field's node,
    column field's node; duplicates sum, and a pair with a negative node is left out) of
    ``block`` (row field, column field). ``values`` is an array for a term that does not depend
    on the state (summed into the pattern once), else its function of a :class:`Linearisation`."""

    block: tuple[int, int]
    pairs: np.ndarray
    values: np.ndarray | Callable[[Linearisation], np.ndarray]

    @property
    def constant(self) -> bool:
        return not callable(self.values)


class Problem(NewtonSystem):
    """The discrete reduced Nernst-Planck system of one case on one electrolyte mesh.

    ``source`` is a fixed vector added to the residual [salt; current], zero unless a caller sets
    it (the method-of-manufactured-solutions test does).
    """

    def __init__(self, mesh: skfem.MeshTri | skfem.MeshTet, physics: Physics):
        super().__init__()
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
        # element forms on one basis share the Laplacian's index pairs, facet forms those of
        # the interface facets
        self.element_pairs = laplace.indices
        self.facet_pairs = forms.boundary_flux_sensitivity.coo_data(self.interface, rate_derivative=1.0).indices
        self._laplace_data = laplace.data
        # the P1 element stiffness, fixed per mesh, from which the conduction matrix and its
        # derivative are built each iteration (conduction_data)
        self._dofs = basis.element_dofs
        vertices = self._dofs.shape[0]
        self._stiffness = laplace.data.reshape(vertices, vertices, -1)  # [trial j, test i, element]
        self._interface_values = np.array([np.asarray(phi_i[0]) for phi_i in self.interface.basis])
        self._plan_jacobian(self.jacobian_terms())

    @property
    def field_sizes(self) -> tuple[int, ...]:
        """Nodes of each field of the state: c and phi on the electrolyte nodes."""
        return (self.nodes, self.nodes)

    def _plan_jacobian(self, terms: dict[str, JacobianTerm]) -> None:
        """Fix the Jacobian's pattern (free unknowns) as the union of its terms' pairs, where each
        term's data lands in it, and the sum of the constant terms; the same for the potential
        block on its own pattern (the initial state solves the current balance alone)."""
        self.pattern = _pattern(terms.values(), self.field_sizes, self.free)
        constant = [term for term in terms.values() if term.constant]
        self._jacobian_constant = self.pattern.fill(
            _scatters(self.pattern, constant), [term.values for term in constant]
        ).data
        self._varying_terms = [term for term in terms.values() if not term.constant]
        self._jacobian_scatters = _scatters(self.pattern, self._varying_terms)
        self._potential_terms = [terms[name] for name in POTENTIAL_TERMS]
        self.potential_pattern = _pattern(
            self._potential_terms, (self.nodes, self.nodes), np.arange(self.nodes, 2 * self.nodes)
        )
        self._potential_scatters = _scatters(self.potential_pattern, self._potential_terms)

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
        respect to each field it depends on (C, PHI)."""
        c, phi = self.split(x)
        current, d_dc, d_dphi = self.physics.butler_volmer(self.at_interface(c), self.at_interface(phi))
        return current, {C: d_dc, PHI: d_dphi}

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
        """COO data (scikit-fem's order) of the conduction matrix K_kappa(c): each element's P1
        stiffness with every edge (i, j) weighted by kappa at the edge's midpoint,
        kappa((c_i + c_j) / 2), and the diagonal such that each row sums to zero.

        Galerkin's kappa at the element's centroid depends on how a prism of the 3D layer is split
        into tetrahedra (one or three corners on the lower row), which shows as a lateral spread of
        a flat film's interface c; the edge weights do not: across a row of the layer every edge
        carries kappa at the row's middle, so each interface node sees the 1D column flux. The two
        agree for a uniform c, differ by O(h grad kappa) otherwise (a quadrature error, which
        keeps the P1 order: tests/test_solver.py), and both keep K_kappa symmetric with zero row
        sums, so the conduction terms cancel in the charge balance."""
        corner = c[self._dofs]  # [vertex, element]
        edge_kappa = self.physics.conductivity_per_concentration * (corner[:, None, :] + corner[None, :, :]) / 2
        data = self._stiffness * edge_kappa
        diagonal = np.arange(data.shape[0])
        data[diagonal, diagonal] = 0.0
        data[diagonal, diagonal] = -data.sum(axis=0)
        return data.ravel()

    def conduction_concentration_sensitivity_data(self, phi: np.ndarray) -> np.ndarray:
        """COO data of d(K_kappa(c) phi)/dc: the test row i of an element gets, from trial j != i,
        (dkappa/dc / 2) K_ij (phi_j - phi_i), and from trial i the sum of these over j."""
        corner = phi[self._dofs]
        data = self._stiffness * (corner[:, None, :] - corner[None, :, :])  # [trial j, test i, element]
        data *= self.physics.conductivity_per_concentration / 2
        diagonal = np.arange(data.shape[0])
        data[diagonal, diagonal] = data.sum(axis=0)
        return data.ravel()

    def residual(self, x: np.ndarray, mass_coefficient: float = 0.0, history: np.ndarray | None = None) -> np.ndarray:
        """Residual [salt; current] of all unknowns at x. The time derivative is approximated as
        dc/dt = mass_coefficient * c + history (BDF); mass_coefficient = 0 is the steady problem."""
        started = time.perf_counter()
        physics = self.physics
        c, phi = self.split(x)
        rows, cols = self.element_pairs
        reaction = asm(forms.boundary_flux, self.interface, rate=self.interface_rate(x)[0])
        laplace_c = self.laplace @ c
        residual = (
            np.concatenate(
                [
                    # salt balance: salt_diffusion, salt_reaction (salt_storage below)
                    physics.D_ambipolar * laplace_c + physics.salt_consumed_per_charge * reaction,
                    # current balance: conduction, current_diffusion, current_reaction, applied current
                    np.bincount(rows, weights=self.conduction_data(c) * phi[cols], minlength=self.nodes)
                    + physics.diffusion_current_coefficient * laplace_c
                    + reaction
                    - self.applied_current_load,
                    self._electrode_residual(x, reaction),
                ]
            )
            + self.source
        )
        residual[self.storage] += self.storage_mass * (
            mass_coefficient * x[self.storage] + (0 if history is None else history)
        )
        self.timer.assembly += time.perf_counter() - started
        return residual

    def _electrode_residual(self, x: np.ndarray, reaction: np.ndarray) -> np.ndarray:
        """Residual of the electrode's equations: none for a Li metal electrode."""
        return np.empty(0)

    def jacobian_terms(self) -> dict[str, JacobianTerm]:
        """The terms of the Jacobian of :meth:`residual` by name (the module's table)."""
        physics, salt_loss = self.physics, self.physics.salt_consumed_per_charge
        elements, facets, nodes = self.element_pairs, self.facet_pairs, np.arange(self.nodes)
        return {
            # salt balance: M dc/dt + D_amb K c + (1 - t+)/F R(c, phi)
            "salt_diffusion": JacobianTerm((C, C), elements, physics.D_ambipolar * self._laplace_data),
            "salt_storage": JacobianTerm(
                (C, C), np.stack([nodes, nodes]), lambda at: at.mass_coefficient * self.lumped_mass
            ),
            "salt_reaction_c": JacobianTerm((C, C), facets, lambda at: salt_loss * at.reaction[C]),
            "salt_reaction_phi": JacobianTerm((C, PHI), facets, lambda at: salt_loss * at.reaction[PHI]),
            # current balance: K_kappa(c) phi + F (D+ - D-) K c + R(c, phi) - applied current
            "current_diffusion": JacobianTerm(
                (PHI, C), elements, physics.diffusion_current_coefficient * self._laplace_data
            ),
            "current_reaction_c": JacobianTerm((PHI, C), facets, lambda at: at.reaction[C]),
            "current_reaction_phi": JacobianTerm((PHI, PHI), facets, lambda at: at.reaction[PHI]),
            "conduction_c": JacobianTerm(
                (PHI, C), elements, lambda at: self.conduction_concentration_sensitivity_data(at.phi)
            ),
            "conduction_phi": JacobianTerm((PHI, PHI), elements, lambda at: self.conduction_data(at.c)),
        }

    def jacobian(self, x: np.ndarray, mass_coefficient: float = 0.0) -> sp.csr_matrix:
        """Jacobian of :meth:`residual` in the free unknowns, on the fixed pattern."""
        started = time.perf_counter()
        c, phi = self.split(x)
        reaction = {
            field: forms.boundary_flux_sensitivity.coo_data(self.interface, rate_derivative=derivative).data
            for field, derivative in self.interface_rate(x)[1].items()
        }
        at = Linearisation(c, phi, mass_coefficient, reaction)
        jacobian = self.pattern.fill(
            self._jacobian_scatters,
            [term.values(at) for term in self._varying_terms],
            constant=self._jacobian_constant,
        )
        self.timer.assembly += time.perf_counter() - started
        return jacobian

    def potential_jacobian(self, x: np.ndarray) -> sp.csr_matrix:
        """The phi-phi block of :meth:`jacobian` (current balance against phi, c held fixed)."""
        started = time.perf_counter()
        c, phi = self.split(x)
        rate_dphi = self.interface_rate(x)[1][PHI]
        reaction_dphi = forms.boundary_flux_sensitivity.coo_data(self.interface, rate_derivative=rate_dphi).data
        at = Linearisation(c, phi, 0.0, {PHI: reaction_dphi})
        block = self.potential_pattern.fill(
            self._potential_scatters, [term.values(at) for term in self._potential_terms]
        )
        self.timer.assembly += time.perf_counter() - started
        return block

    def step_length(self, x: np.ndarray, update: np.ndarray) -> float:
        """The Newton step fraction that goes at most half way to c = 0 anywhere (1 if c grows)."""
        c, dc = self.split(x)[0], self.split(update)[0]
        return fraction_within(c, dc, 0.0, math.inf)

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

    def initial_state(self, settings: SolverSettings) -> np.ndarray:
        """c = c0 everywhere and the potential that carries the applied current through it (the
        consistent initial condition)."""
        return self.consistent_potential(self.initial_guess(), settings.newton_rtol, settings, chord=False)

    def charge_residual(self, residual: np.ndarray) -> float:
        """|sum of the current-balance residual| relative to the applied current: the test
        functions sum to one, so the conduction terms cancel and this is the charge imbalance."""
        return abs(residual[self.nodes : 2 * self.nodes].sum()) / self.applied_current

    def potential_scale(self, x: np.ndarray) -> float:
        return max(np.max(np.abs(self.split(x)[1])), self.physics.thermal_voltage)

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


def _pattern(terms, sizes: tuple[int, ...], free: np.ndarray) -> sparse.BlockPattern:
    """The block pattern that holds every one of ``terms``."""
    blocks: dict[tuple[int, int], list[np.ndarray]] = {}
    for term in terms:
        pairs = blocks.setdefault(term.block, [])
        if not any(term.pairs is known for known in pairs):  # terms of one form share its pairs
            pairs.append(term.pairs)
    return sparse.BlockPattern({block: np.concatenate(pairs, axis=1) for block, pairs in blocks.items()}, sizes, free)


def _scatters(pattern: sparse.BlockPattern, terms: list[JacobianTerm]) -> sparse.Terms:
    """Where the data of each of ``terms`` lands in ``pattern``, in their order."""
    return pattern.terms([pattern.scatter(term.block, *term.pairs) for term in terms])
