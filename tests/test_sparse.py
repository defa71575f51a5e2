"""Fixed-pattern block matrices and the PARDISO solver that analyses a pattern once."""

import importlib.metadata
import inspect
import tomllib

import numpy as np
import pypardiso
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as sla
from conftest import REPO
from electrolyte3d.sparse import BlockPattern, DirectSolver


def test_block_pattern_sums_terms_like_scipy_and_drops_the_fixed_unknowns():
    rng = np.random.default_rng(3)
    nodes = 6
    pairs = rng.integers(0, nodes, size=(2, 40))
    few = pairs[:, :5]
    free = np.setdiff1d(np.arange(2 * nodes), [0, 4])  # two fixed c unknowns
    pattern = BlockPattern({(0, 0): pairs, (0, 1): few, (1, 0): pairs, (1, 1): pairs}, (nodes, nodes), free)
    terms = [((0, 0), pairs), ((0, 1), few), ((1, 1), pairs)]
    values = [rng.normal(size=p.shape[1]) for _, p in terms]
    matrix = pattern.fill(pattern.terms([pattern.scatter(block, *p) for block, p in terms]), values)

    expected = sp.csr_matrix((2 * nodes, 2 * nodes))
    for (block, p), data in zip(terms, values):
        expected = expected + sp.coo_matrix(
            (data, (p[0] + block[0] * nodes, p[1] + block[1] * nodes)), shape=(2 * nodes, 2 * nodes)
        )
    np.testing.assert_allclose(matrix.toarray(), expected.toarray()[np.ix_(free, free)], atol=1e-14)
    assert matrix.has_sorted_indices and matrix.nnz == pattern.nnz


def test_blocks_of_different_sizes_land_at_their_offsets():
    rng = np.random.default_rng(5)
    sizes = (4, 4, 7)
    square = rng.integers(0, 4, size=(2, 12))
    solid = rng.integers(0, 7, size=(2, 20))
    coupling = np.stack([rng.integers(0, 4, 6), rng.integers(0, 7, 6)])
    terms = [((0, 0), square), ((1, 1), square), ((2, 2), solid), ((0, 2), coupling), ((2, 1), coupling[::-1])]
    free = np.setdiff1d(np.arange(sum(sizes)), [1])
    pattern = BlockPattern(dict(terms), sizes, free)
    values = [rng.normal(size=p.shape[1]) for _, p in terms]
    matrix = pattern.fill(pattern.terms([pattern.scatter(block, *p) for block, p in terms]), values)

    offsets = np.concatenate([[0], np.cumsum(sizes)])
    total = offsets[-1]
    expected = sp.csr_matrix((total, total))
    for (block, p), data in zip(terms, values):
        expected = expected + sp.coo_matrix(
            (data, (p[0] + offsets[block[0]], p[1] + offsets[block[1]])), shape=(total, total)
        )
    np.testing.assert_allclose(matrix.toarray(), expected.toarray()[np.ix_(free, free)], atol=1e-14)


def test_entries_outside_the_pattern_are_refused():
    pattern = BlockPattern({(0, 0): np.array([[0, 1], [0, 1]])}, (2, 2), np.arange(4))
    with pytest.raises(ValueError, match="outside the pattern"):
        pattern.scatter((0, 0), np.array([0]), np.array([1]))


def test_direct_solver_analyses_a_pattern_once():
    rng = np.random.default_rng(4)
    base = sp.random(50, 50, density=0.1, random_state=5, format="csr") + sp.identity(50, format="csr") * 10
    direct = DirectSolver()
    for _ in range(3):
        matrix = base.copy()
        matrix.data = matrix.data * rng.uniform(0.5, 2, matrix.nnz)
        rhs = rng.normal(size=50)
        np.testing.assert_allclose(matrix @ direct.solve(matrix, rhs), rhs, rtol=1e-10, atol=1e-10)
    assert direct.analyses == 1
    direct.release()
    direct.solve(base, np.ones(50))
    assert direct.analyses == 2


def pinned_pypardiso() -> str:
    dependencies = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    return next(pin.split("==")[1] for pin in dependencies if pin.startswith("pypardiso=="))


def test_the_private_pypardiso_call_the_direct_solver_relies_on_is_still_there():
    """sparse.DirectSolver picks PARDISO's phase itself (set_phase) and calls pypardiso's private
    PyPardisoSolver._call_pardiso(A, b), which runs that phase; pypardiso's public solve() would
    choose the phase and re-analyse. A pypardiso upgrade may drop or change it: this says so."""
    pinned, installed = pinned_pypardiso(), importlib.metadata.version("pypardiso")
    upgrade = (
        f"sparse.DirectSolver relies on pypardiso {pinned}'s private PyPardisoSolver._call_pardiso(A, b) and on "
        f"set_phase, get_iparm, set_iparm and free_memory(everything); the installed pypardiso is {installed}: "
        f"pin pypardiso=={pinned} again, or adapt sparse.DirectSolver._run and its solve_factored to the new API"
    )
    solver = pypardiso.PyPardisoSolver
    for name, parameters in {
        "_call_pardiso": ["self", "A", "b"],
        "set_phase": ["self", "phase"],
        "get_iparm": ["self", "i"],
        "set_iparm": ["self", "i", "value"],
        "free_memory": ["self", "everything"],
    }.items():
        assert callable(getattr(solver, name, None)), f"PyPardisoSolver.{name} is gone. {upgrade}"
        found = list(inspect.signature(getattr(solver, name)).parameters)
        assert found == parameters, f"PyPardisoSolver.{name}{tuple(found)} is not {name}{tuple(parameters)}. {upgrade}"

    rng = np.random.default_rng(6)
    matrix = sp.random(30, 30, density=0.15, random_state=7, format="csr") + sp.identity(30, format="csr") * 4
    matrix.sort_indices()
    rhs = rng.normal(size=30)
    expected = sla.spsolve(matrix.tocsc(), rhs)
    direct = DirectSolver()
    direct.factorise(matrix)  # phases 11 and 22 through _call_pardiso
    factored = direct.solve_factored(rhs)  # phase 33 on the kept factors
    # phase 23 on changed values: the pattern's analysis is reused, the factors are new
    scaled = direct.solve(matrix * 2.0, rhs)
    direct.release()
    assert np.allclose(factored, expected, rtol=1e-10, atol=1e-12), (
        f"factorise + solve_factored is not spsolve. {upgrade}"
    )
    assert np.allclose(scaled, expected / 2, rtol=1e-10, atol=1e-12), f"solve is not spsolve. {upgrade}"
    assert direct.analyses == 1 and direct.factorisations == 2, upgrade
