"""What a mesh ladder and a solve depend on, read from a validated config and converted to SI:
the 2D ladder (:class:`MeshSettings`), the 3D unit cells' ladder (:class:`UnitCellMeshSettings`),
the solver's settings and the report times. Each hands a rule its ``params`` entry
(:meth:`as_params`), so a rerun follows exactly its values."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np

from electrolyte3d.parameters import UM


@dataclass(frozen=True)
class LadderSettings:
    """What one level of a mesh ladder depends on: level-0 element sizes (m), divided by
    ``refinement_ratio**level``. The number of levels is not part of it, so adding a level
    leaves the existing ones untouched."""

    refinement_ratio: float

    def as_params(self) -> dict:
        return asdict(self)

    def size_factor(self, level: int) -> float:
        """Factor on every level-0 size at ``level``."""
        return self.refinement_ratio ** (-level)


@dataclass(frozen=True)
class MeshSettings(LadderSettings):
    """The 2D ladder (config ``mesh``)."""

    electrolyte_size: float
    interface_size: float
    corner_size: float
    corner_radius: float
    electrode_size: float
    grading_distance: float
    boundary_layer_first: float
    boundary_layer_ratio: float
    boundary_layer_thickness: float

    @classmethod
    def from_config(cls, config: Mapping) -> MeshSettings:
        mesh = config["mesh"]
        return cls(
            refinement_ratio=mesh["refinement_ratio"],
            boundary_layer_ratio=mesh["boundary_layer_ratio"],
            **{key.removesuffix("_um"): mesh[key] * UM for key in mesh if key.endswith("_um")},
        )


@dataclass(frozen=True)
class UnitCellMeshSettings(LadderSettings):
    """The ladder of 3D unit cells (config ``mesh/cell``): tetrahedron sizes, on the 2D ladder's
    ratio, fine at the interface and finest at the pillar rims (where the mantle meets the
    substrate underside or the end face), and the prism layer on the electrolyte side of the
    interface (first height, ratio, thickness), shrunk with the ladder as the 2D layer is."""

    electrolyte_size: float
    interface_size: float
    rim_size: float
    rim_radius: float
    electrode_size: float
    grading_distance: float
    boundary_layer_first: float
    boundary_layer_ratio: float
    boundary_layer_thickness: float

    def layer_fractions(self, level: int) -> np.ndarray:
        """Heights of the prism layer's node rows at ``level`` over its thickness (0 at the
        interface, 1 on top): rows of the level's first height, growing by the level's ratio, all
        scaled by the same factor (at most 1) so that they end exactly on the thickness."""
        factor = self.size_factor(level)
        first, ratio = self.boundary_layer_first * factor, 1 + (self.boundary_layer_ratio - 1) * factor
        count = math.log1p(self.boundary_layer_thickness * (ratio - 1) / first) / math.log(ratio) if ratio > 1 else 1
        layers = first * ratio ** np.arange(max(1, math.ceil(count - 1e-9)))
        return np.concatenate([[0.0], np.cumsum(layers) / layers.sum()])

    @classmethod
    def from_config(cls, config: Mapping) -> UnitCellMeshSettings:
        cell = config["mesh"]["cell"]
        return cls(
            refinement_ratio=config["mesh"]["refinement_ratio"],
            boundary_layer_ratio=cell["boundary_layer_ratio"],
            **{key.removesuffix("_um"): cell[key] * UM for key in cell if key.endswith("_um")},
        )


@dataclass(frozen=True)
class SolverSettings:
    """Numerical settings of a solve (times in s); config keys in ``solver``. ``newton_rtol``
    bounds the scaled Newton update (c by c0, phi by max(|phi|, RT/F)) of the initial and
    stationary states and of the bdf2 integrator; ``time_rtol`` is the relative time error the
    results may have (``integrator`` bdf; for bdf2 the local error of c per step relative to c0);
    after ``max_step_failures`` Newton failures in a row, or a step below ``min_step``, a
    transient case ends as diverged."""

    mode: str
    newton_rtol: float
    newton_max_iterations: int
    time_rtol: float
    end_time: float
    initial_step: float
    depletion_fraction: float
    integrator: str = "bdf"
    min_step: float = 1e-12
    max_step_failures: int = 12

    def as_params(self) -> dict:
        return asdict(self)

    @classmethod
    def from_config(cls, config: Mapping) -> SolverSettings:
        solver = config["solver"]
        return cls(
            mode=solver["mode"],
            newton_rtol=solver["newton_rtol"],
            newton_max_iterations=solver["newton_max_iterations"],
            time_rtol=solver["time_rtol"],
            end_time=solver["end_time_s"],
            initial_step=solver["initial_step_s"],
            depletion_fraction=solver["depletion_fraction"],
            integrator=solver["integrator"],
        )


def report_times(config: Mapping) -> list[float]:
    """The report times shared by every case, s: the configured list, or log-spaced."""
    solver = config["solver"]
    if "report_times_s" in solver:
        return sorted(set(solver["report_times_s"]))
    return np.geomspace(solver["report_first_s"], solver["end_time_s"], solver["report_count"]).tolist()
