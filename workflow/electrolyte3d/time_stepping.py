"""Time integration of a discrete problem (:mod:`electrolyte3d.problem`, :mod:`electrolyte3d.cathode`)
from its consistent initial state to the end time or an event.

The problem is the semi-explicit index-1 DAE

    M dy/dt = f(y, z),    0 = g(y, z),

with y the stored fields (c, and c_s with a cathode; M their lumped mass) and z the potential phi,
whose current balance g has no time derivative. Each step replaces dy/dt by a backward
differentiation formula, dy/dt ~ mass_coefficient * y + history, and solves the residual of the
whole system for the new state by Newton (:class:`electrolyte3d.newton.NewtonSystem`):

- ``bdf`` (:func:`variable_order_bdf`, the default): the variable-order (1-5), quasi-constant-step
  NDF/BDF of ode15s (:mod:`electrolyte3d.bdf`), with chord Newton on a kept factorisation. The
  local error of a step, ERROR_CONSTANT[k] (y - y_predicted), stays below
  ``LOCAL_ERROR_FRACTION * time_rtol`` of the error scale; report times and events are read from
  the method's interpolating polynomial, with the potential made consistent there.
- ``bdf2`` (:func:`bdf2`, the integrator before it): variable-step BDF2,
  dy/dt ~ (a0 y_(n+1) + a1 y_n + a2 y_(n-1)) / h with a0 = (1 + 2r) / (1 + r), a1 = -(1 + r),
  a2 = r^2 / (1 + r), r = h_n / h_(n-1), its local error estimated against a polynomial predictor
  (Milne's device), steps landing on the report times and an event located by re-solving the
  step.

A case ends 'depleted' when the interface minimum of c reaches ``depletion_fraction * c0``,
'saturated' when a cathode's interface reaches its saturation lithiation, and 'diverged' when
Newton keeps failing or the step falls below ``min_step``.
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np
from scipy.optimize import brentq

from electrolyte3d import bdf
from electrolyte3d.newton import CHORD_MAX_ITERATIONS, CHORD_TOLERANCE, NewtonFailure
from electrolyte3d.problem import Problem
from electrolyte3d.settings import SolverSettings
from electrolyte3d.solution import Snapshot, Solution, no_initial_state

log = logging.getLogger(__name__)

EVENT_LOCATION_TOLERANCE = 1e-6
"""An event time is located until the event margin (the interface minimum of c relative to c0,
or the interface lithiation) is this close to its threshold."""

LOCAL_ERROR_FRACTION = 0.1
"""The variable-order integrator bounds each step's local error by this fraction of time_rtol
(relative, in the max norm of :meth:`Problem.error_scale`), so that the error the steps add up
to stays below time_rtol: tests/test_time_stepping.py measures it on the slab series."""

STEP_FACTOR_LIMITS = (0.2, 10.0)
"""Smallest and largest change of the step size at one step change (ode15s's limits)."""


def transient(problem: Problem, settings: SolverSettings, report_times: np.ndarray) -> Solution:
    """Integrate from the consistent initial state to ``settings.end_time`` (or an event) with
    the integrator ``settings.integrator`` names: 'bdf' (:func:`variable_order_bdf`, the default)
    or 'bdf2' (:func:`bdf2`, the integrator before it, kept for comparison)."""
    integrate = {"bdf": variable_order_bdf, "bdf2": bdf2}[settings.integrator]
    return integrate(problem, settings, np.asarray(report_times, dtype=float))


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
        return no_initial_state(problem, failure, started)
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
        return no_initial_state(problem, failure, started)
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
