"""What a solve produced: its snapshots (the state at output times), how it ended, and the
solver's statistics (steps, Newton iterations, factorisations, wall time and its split between
assembly and PARDISO)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np

from electrolyte3d.newton import NewtonFailure
from electrolyte3d.problem import Problem

log = logging.getLogger(__name__)


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


def no_initial_state(problem: Problem, failure: NewtonFailure, started: float) -> Solution:
    """The diverged solution of a solve that found no consistent initial state."""
    message = f"no consistent initial state: {failure}"
    log.error("case diverged: %s", message)
    return Solution(status="diverged", snapshots=[], message=message).finish(problem, started)
