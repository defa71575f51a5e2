"""The electrolyte of :mod:`electrolyte3d.problem` on an intercalation cathode (docs/model.md
section 4): a third field, the intercalated Li concentration c_s on the cathode's own mesh,

    dc_s/dt = div(D_s grad c_s)         in the cathode, c_s = c_s0 at t = 0
    -D_s grad c_s . n = i_loc / F       at the interface (n into the cathode)
    D_s grad c_s . n = 0                on the current collector and the sides

with i_loc the intercalation Butler-Volmer of :class:`~electrolyte3d.parameters.Cathode`, which
depends on c, phi and c_s at the interface. One Newton system in x = [c, phi, c_s]. The two
meshes share the interface nodes (gmsh meshes the cross-section conformingly), so an interface
facet of the electrolyte is also one of the cathode, with the same basis, and the reaction term
R (the electrolyte's, on its interface nodes) enters the cathode's nodes there. With K_s the
cathode's Laplacian and M_s its lumped mass, the third block of the residual is

    F_cs = M_s dc_s/dt + D_s K_s c_s - R(c, phi, c_s) / F

and the Jacobian gains these terms (by name, as :mod:`electrolyte3d.problem` lists its own):

    salt_reaction_c_s     (c, c_s)    (1 - t+)/F dR/dc_s
    current_reaction_c_s  (phi, c_s)  dR/dc_s
    solid_diffusion       (c_s, c_s)  D_s K_s
    solid_storage         (c_s, c_s)  mass_coefficient M_s
    intercalation_c       (c_s, c)    -dR/dc / F
    intercalation_phi     (c_s, phi)  -dR/dphi / F
    intercalation_c_s     (c_s, c_s)  -dR/dc_s / F
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import skfem
from skfem import asm

from electrolyte3d import forms
from electrolyte3d.geometry import INTERFACE
from electrolyte3d.newton import fraction_within
from electrolyte3d.parameters import FARADAY, Cathode, Physics
from electrolyte3d.problem import C_S, PHI, C, JacobianTerm, Problem
from electrolyte3d.settings import SolverSettings


class CathodeProblem(Problem):
    """The discrete problem of :class:`~electrolyte3d.problem.Problem` with the cathode's c_s
    (the module's equations)."""

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

    @cached_property
    def to_solid(self) -> np.ndarray:
        """The cathode node of each electrolyte interface node (-1 elsewhere), matched by
        coordinates, which are the same gmsh nodes in both parts."""
        cathode_mesh = self.cathode_mesh
        solid_interface = np.unique(cathode_mesh.facets[:, cathode_mesh.boundaries[INTERFACE]])

        def by_position(points, nodes):
            return nodes[np.lexsort((points[1, nodes], points[0, nodes]))]

        electrolyte = by_position(self.mesh.p, self.interface_nodes)
        solid = by_position(cathode_mesh.p, solid_interface)
        if electrolyte.size != solid.size or not np.array_equal(self.mesh.p[:, electrolyte], cathode_mesh.p[:, solid]):
            raise ValueError("the electrolyte and cathode meshes do not share their interface nodes")
        to_solid = np.full(self.nodes, -1)
        to_solid[electrolyte] = solid
        return to_solid

    def _solid_nodes_of(self, nodes: np.ndarray) -> np.ndarray:
        """The cathode nodes of electrolyte interface ``nodes``."""
        solid = self.to_solid[nodes]
        if np.any(solid < 0):
            raise ValueError("a node off the interface has no cathode node")
        return solid

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
        return current, {C: d_dc, PHI: d_dphi, C_S: d_dcs}

    def local_current(self, x: np.ndarray, nodes: np.ndarray) -> np.ndarray:
        c, phi = self.split(x)
        return self.cathode.butler_volmer(
            self.physics, c[nodes], phi[nodes], self.solid(x)[self._solid_nodes_of(nodes)]
        )[0]

    def _electrode_residual(self, x: np.ndarray, reaction: np.ndarray) -> np.ndarray:
        nodes = self.interface_nodes
        intercalation = np.bincount(self.to_solid[nodes], weights=reaction[nodes], minlength=self.solid_nodes)
        return self.cathode.diffusivity * (self.solid_laplace @ self.solid(x)) - intercalation / FARADAY

    def jacobian_terms(self) -> dict[str, JacobianTerm]:
        """:meth:`Problem.jacobian_terms` and the cathode's (the module's table). A facet basis
        pairs each interface node with its element's nodes off the interface too (to_solid -1):
        those entries of the c_s columns and rows are zero, and the pattern leaves them out."""
        salt_loss = self.physics.salt_consumed_per_charge
        rows, cols = self.facet_pairs
        into_solid = np.stack([rows, self.to_solid[cols]])  # electrolyte rows, c_s columns
        from_solid = np.stack([self.to_solid[rows], cols])  # c_s rows, electrolyte columns
        within_solid = np.stack([self.to_solid[rows], self.to_solid[cols]])
        solid = np.arange(self.solid_nodes)
        return {
            **super().jacobian_terms(),
            # the electrolyte's reaction terms, now also in c_s
            "salt_reaction_c_s": JacobianTerm((C, C_S), into_solid, lambda at: salt_loss * at.reaction[C_S]),
            "current_reaction_c_s": JacobianTerm((PHI, C_S), into_solid, lambda at: at.reaction[C_S]),
            # the cathode: M_s dc_s/dt + D_s K_s c_s - R(c, phi, c_s) / F
            "solid_diffusion": JacobianTerm(
                (C_S, C_S), self._solid_laplace.indices, self.cathode.diffusivity * self._solid_laplace.data
            ),
            "solid_storage": JacobianTerm(
                (C_S, C_S), np.stack([solid, solid]), lambda at: at.mass_coefficient * self.solid_lumped_mass
            ),
            "intercalation_c": JacobianTerm((C_S, C), from_solid, lambda at: -at.reaction[C] / FARADAY),
            "intercalation_phi": JacobianTerm((C_S, PHI), from_solid, lambda at: -at.reaction[PHI] / FARADAY),
            "intercalation_c_s": JacobianTerm((C_S, C_S), within_solid, lambda at: -at.reaction[C_S] / FARADAY),
        }

    def step_length(self, x: np.ndarray, update: np.ndarray) -> float:
        """As :meth:`Problem.step_length`, and at most half way to c_s = 0 or c_s_max."""
        solid = fraction_within(self.solid(x), self.solid(update), 0.0, self.cathode.max_concentration)
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
