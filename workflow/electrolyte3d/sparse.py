"""Sparse linear algebra of the Newton solver.

The Jacobian of the (c, phi) system (and of (c, phi, c_s) with a cathode) is a block matrix whose
blocks live on the P1 node patterns of the meshes, so its sparsity never changes.
:class:`BlockPattern` fixes that pattern (restricted to the free unknowns) once and scatters
scikit-fem's element data straight into it, without the sorting and zero elimination of a COO -> CSR
conversion per Newton iteration.
:class:`DirectSolver` runs PARDISO's analysis (phase 11) once per pattern and only the numerical
factorisation and solve (phase 23) per matrix; ``pypardiso.spsolve`` re-analyses on every call
whose values differ (pypardiso issue #88).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pypardiso
import scipy.sparse as sp


@dataclass(frozen=True)
class Scatter:
    """Where the kept entries (``keep``, indices into a COO data array) of one block term land
    in the data array of a :class:`BlockPattern` matrix."""

    keep: np.ndarray
    positions: np.ndarray


@dataclass(frozen=True)
class Terms:
    """The kept entries of each term of one matrix, in order, and their positions concatenated
    so that filling the matrix is a single ``bincount``."""

    keeps: tuple[np.ndarray, ...]
    positions: np.ndarray


class BlockPattern:
    """CSR pattern of a block matrix whose block rows/columns have ``sizes`` unknowns each (nodes
    of a field: 0 = c, 1 = phi, 2 = c_s), restricted to the unknowns ``free`` (indices into all
    unknowns, block 0 first). ``blocks`` maps each block (row field, column field) to the node
    pairs (2, m; duplicates allowed; pairs with a negative node are left out) where it can be
    nonzero."""

    def __init__(self, blocks: Mapping[tuple[int, int], np.ndarray], sizes: tuple[int, ...], free: np.ndarray):
        self.nodes = max(sizes)  # the stride of node-pair keys
        self._offsets = np.concatenate([[0], np.cumsum(sizes)])
        self.size = free.size
        self._number = np.full(self._offsets[-1], -1, dtype=np.int64)
        self._number[free] = np.arange(free.size)
        per_block = [
            self._keys(block, *self._node_pairs(_distinct(self._pair_keys(*pairs[:, (pairs >= 0).all(axis=0)]))))[1]
            for block, pairs in blocks.items()
        ]
        keys = _distinct(np.concatenate(per_block))
        self._keys_sorted = keys
        self.indices = (keys % self.size).astype(np.int32)
        self.indptr = np.concatenate([[0], np.cumsum(np.bincount(keys // self.size, minlength=self.size))]).astype(
            np.int32
        )
        self.nnz = keys.size

    def _pair_keys(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        return rows.astype(np.int64) * self.nodes + cols

    def _node_pairs(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return keys // self.nodes, keys % self.nodes

    def _keys(self, block: tuple[int, int], rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        row = self._number[rows + self._offsets[block[0]]]
        col = self._number[cols + self._offsets[block[1]]]
        keep = np.flatnonzero((row >= 0) & (col >= 0))
        return keep, row[keep] * self.size + col[keep]

    def scatter(self, block: tuple[int, int], rows: np.ndarray, cols: np.ndarray) -> Scatter:
        """The plan for entries at node ``rows``/``cols`` of ``block``; each distinct node pair is
        located in the pattern once. Entries at a negative node (none of this field's) are left out."""
        valid = (rows >= 0) & (cols >= 0)
        if not valid.all():
            kept = np.flatnonzero(valid)
            plan = self.scatter(block, rows[kept], cols[kept])
            return Scatter(kept[plan.keep].astype(np.int32), plan.positions)
        pair_keys = self._pair_keys(rows, cols)
        order = np.argsort(pair_keys, kind="stable")
        starts = np.concatenate([[True], np.diff(pair_keys[order]) != 0])
        pairs = pair_keys[order][starts]
        inverse = np.empty_like(order)
        inverse[order] = np.cumsum(starts) - 1
        keep, keys = self._keys(block, *self._node_pairs(pairs))
        position = np.full(pairs.size, -1)
        position[keep] = np.searchsorted(self._keys_sorted, keys)
        if not np.array_equal(self._keys_sorted[position[keep]], keys):
            raise ValueError(f"block {block} has entries outside the pattern")
        entries = np.flatnonzero(position[inverse] >= 0)
        return Scatter(entries.astype(np.int32), position[inverse[entries]].astype(np.int32))

    def terms(self, scatters: list[Scatter]) -> Terms:
        return Terms(
            tuple(scatter.keep for scatter in scatters), np.concatenate([scatter.positions for scatter in scatters])
        )

    def fill(self, terms: Terms, values: list[np.ndarray], constant: np.ndarray | None = None) -> sp.csr_matrix:
        """The matrix summing each term's COO ``values`` (in the order of ``terms``) and
        ``constant`` (data on this pattern). The CSR index arrays are this pattern's, shared."""
        weights = np.concatenate([data[keep] for keep, data in zip(terms.keeps, values, strict=True)])
        data = np.bincount(terms.positions, weights=weights, minlength=self.nnz)
        return self.matrix(data if constant is None else data + constant)

    def matrix(self, data: np.ndarray) -> sp.csr_matrix:
        return sp.csr_matrix((data, self.indices, self.indptr), shape=(self.size, self.size))


def _distinct(keys: np.ndarray) -> np.ndarray:
    """Sorted distinct values (np.unique without its hash table, which is slower here)."""
    ordered = np.sort(keys)
    return ordered[np.concatenate([[True], ordered[1:] != ordered[:-1]])]


class DirectSolver:
    """PARDISO (MKL, real nonsymmetric) for a sequence of matrices: the symbolic analysis is
    redone only when the sparsity pattern changes (``analyses`` counts them). :meth:`solve`
    factorises the matrix it is given; :meth:`factorise` and :meth:`solve_factored` keep one
    factorisation for many right-hand sides (a chord Newton iteration reuses it across iterations
    and time steps). ``factorisations`` counts the numerical factorisations."""

    ANALYSIS, FACTORISE, FACTORISE_AND_SOLVE, SOLVE = 11, 22, 23, 33
    REFINEMENT_STEPS = 8  # iparm(8), 1-based as pypardiso's set_iparm counts

    def __init__(self):
        self._pardiso = pypardiso.PyPardisoSolver()
        self._pattern: tuple[np.ndarray, np.ndarray] | None = None
        self._factored: sp.csr_matrix | None = None
        self.analyses = 0
        self.factorisations = 0

    def _analyse(self, matrix: sp.csr_matrix, rhs: np.ndarray) -> None:
        if not self._has_pattern(matrix):
            self._run(self.ANALYSIS, matrix, rhs)
            self._pattern = (matrix.indptr, matrix.indices)
            self.analyses += 1

    def solve(self, matrix: sp.csr_matrix, rhs: np.ndarray) -> np.ndarray:
        self._analyse(matrix, rhs)
        self.factorisations += 1
        self._factored = matrix
        return self._run(self.FACTORISE_AND_SOLVE, matrix, rhs)

    def factorise(self, matrix: sp.csr_matrix) -> None:
        rhs = np.zeros(matrix.shape[0])
        self._analyse(matrix, rhs)
        self._factored = None
        self._run(self.FACTORISE, matrix, rhs)
        self.factorisations += 1
        self._factored = matrix

    @property
    def factored(self) -> bool:
        return self._factored is not None

    def solve_factored(self, rhs: np.ndarray) -> np.ndarray:
        """The solution with the last factorised matrix (PARDISO phase 33, no factorisation)."""
        if self._factored is None:
            raise ValueError("no factorised matrix to solve with")
        # without PARDISO's default two steps of iterative refinement (kept where pivots were
        # perturbed): they double the cost of a solve, and a chord iteration refines anyway
        refinement = self._pardiso.get_iparm(self.REFINEMENT_STEPS)
        self._pardiso.set_iparm(self.REFINEMENT_STEPS, 0)
        try:
            return self._run(self.SOLVE, self._factored, rhs)
        finally:
            self._pardiso.set_iparm(self.REFINEMENT_STEPS, refinement)

    def release(self) -> None:
        """Free PARDISO's factors and workspace (the next solve analyses again)."""
        if self._pattern is not None:
            self._pardiso.free_memory(everything=True)
            self._pattern = None
            self._factored = None

    def _has_pattern(self, matrix: sp.csr_matrix) -> bool:
        if self._pattern is None:
            return False
        indptr, indices = self._pattern
        if matrix.indptr is indptr and matrix.indices is indices:
            return True
        return np.array_equal(matrix.indptr, indptr) and np.array_equal(matrix.indices, indices)

    def _run(self, phase: int, matrix: sp.csr_matrix, rhs: np.ndarray) -> np.ndarray:
        if matrix.dtype != np.float64 or not matrix.has_sorted_indices:
            raise ValueError("PARDISO needs a float64 CSR matrix with sorted indices")
        if not np.diff(matrix.indptr).all():
            raise ValueError("the matrix is singular: it has an empty row")
        self._pardiso.set_phase(phase)
        # pypardiso's public solve() chooses the phase itself (13 unless the values are unchanged); this private
        # call is pypardiso 0.4.7's, and tests/test_sparse.py fails loudly if an upgrade changes it
        return self._pardiso._call_pardiso(matrix, np.asfortranarray(rhs, dtype=np.float64))
