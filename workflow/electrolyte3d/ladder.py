"""How far a grid study refines: it starts with the three levels the Grid Convergence Index needs
and adds one level at a time until its ladder passes the acceptance criterion
(:func:`electrolyte3d.convergence.analyse`), or until the next level would exceed ``mesh/max_levels``
or the memory cap ``mesh/max_level_memory_mb``. The workflow asks :func:`stop` after every grid
study (a Snakemake checkpoint) whether to add a level; the convergence result records its answer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

MIN_LEVELS = 3
"""The Grid Convergence Index compares three levels."""

BASE_MEMORY_MB = 500
"""What a solve job needs before its mesh (interpreter, libraries)."""


def level_memory_mb(shape, settings, level: int) -> float:
    """Estimated peak memory of a solve on ``level`` of a shape's ladder: the base plus the shape's
    budget per estimated element (what the solve job asks a cluster for on its first attempt)."""
    return BASE_MEMORY_MB + shape.budget.solve_mb * shape.estimated_elements(settings, level)


@dataclass(frozen=True)
class LadderLimits:
    """The caps on a grid study: at most ``max_levels`` levels, and no level whose estimated solve
    memory exceeds ``max_level_memory_mb`` (None: no memory cap)."""

    max_levels: int
    max_level_memory_mb: float | None = None
    memory_cap_key: str = "mesh/max_level_memory_mb"
    """The config key the memory cap came from, named when it stops a ladder."""

    @classmethod
    def from_config(cls, config: Mapping, dimension: int = 2) -> LadderLimits:
        """The caps of a ``dimension``-D shape's grid studies: a 3D cell's memory cap is
        ``mesh/cell/max_level_memory_mb`` if set (a tetrahedron level and a triangle level cost
        differently, so a study may cap them apart), else ``mesh/max_level_memory_mb``."""
        mesh = config["mesh"]
        if dimension == 3 and "max_level_memory_mb" in mesh["cell"]:
            return cls(mesh["max_levels"], mesh["cell"]["max_level_memory_mb"], "mesh/cell/max_level_memory_mb")
        return cls(mesh["max_levels"], mesh.get("max_level_memory_mb"))

    def as_params(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class LadderStop:
    """Why a grid study of ``levels`` levels stops: ``passed`` (its ladder meets the criterion),
    ``max_levels`` or ``max_level_memory_mb`` (a cap, with the ladder not passed)."""

    levels: int
    reason: str
    message: str


def stop(grid_status: str, levels: int, limits: LadderLimits, memory_mb: list[float]) -> LadderStop | None:
    """The verdict after a grid study of ``levels`` levels whose analysis says ``grid_status``:
    a :class:`LadderStop`, or None to add level ``levels``. ``memory_mb[k]`` is the estimated solve
    memory of level k (at least up to ``levels``, unless ``levels`` reached ``max_levels``)."""
    if grid_status == "converged":
        return LadderStop(levels, "passed", f"the ladder passed the acceptance criterion on {levels} levels")
    if levels >= limits.max_levels:
        return LadderStop(
            levels,
            "max_levels",
            f"stopped at the cap mesh/max_levels = {limits.max_levels} without passing the acceptance criterion",
        )
    if limits.max_level_memory_mb is not None and memory_mb[levels] > limits.max_level_memory_mb:
        return LadderStop(
            levels,
            "max_level_memory_mb",
            f"stopped on {levels} levels without passing the acceptance criterion: level {levels} would need about "
            f"{memory_mb[levels]:.0f} MB, over the cap {limits.memory_cap_key} = {limits.max_level_memory_mb:g}",
        )
    return None


def record(convergence, stop: LadderStop) -> None:
    """Write a grid study's stop into its convergence dataset (attrs ``ladder_stop``, ``ladder_levels``
    and the reason in words); a cap is named in the verdict of a case that did not pass."""
    convergence.attrs.update(ladder_stop=stop.reason, ladder_stop_message=stop.message, ladder_levels=stop.levels)
    if stop.reason != "passed":
        convergence.attrs["grid_status_message"] += f"; the ladder {stop.message}"
