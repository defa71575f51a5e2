"""The steady state of a discrete problem: F(x) = 0 with the time derivative left out
(mass_coefficient = 0), solved by Newton from the consistent initial state. When the full applied
current fails, the load is ramped, lambda * int_top i_app v_i with lambda rising from 0 to 1 by
increments that double after a converged solve and halve after a failed one (continuation in the
applied current); a continuation that stalls means the limiting current is exceeded.
"""

from __future__ import annotations

import logging
import time

from electrolyte3d.newton import NewtonFailure
from electrolyte3d.problem import Problem
from electrolyte3d.settings import SolverSettings
from electrolyte3d.solution import Snapshot, Solution, no_initial_state

log = logging.getLogger(__name__)


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
        return no_initial_state(problem, failure, started)
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
