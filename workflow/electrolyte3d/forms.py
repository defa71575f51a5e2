"""Weak forms of the reduced Nernst-Planck system (salt concentration c, electrolyte potential phi).

    dc/dt = div(D_amb grad c)                     salt balance
    div i = 0,  i = -kappa(c) grad phi - F (D+ - D-) grad c,  kappa = (F^2 (D+ + D-) / RT) c

Coefficients reach a form through ``w``: ``w['rate']`` (a boundary flux) and its derivative, at
quadrature points. The conduction term kappa(c) grad(phi) . grad(v) is not a form here:
:meth:`electrolyte3d.problem.Problem.conduction_data` builds it from the Laplacian's element
matrices with kappa on each edge, which a quadrature of kappa(c_h) cannot do.
"""

import numpy as np
import skfem
from skfem import BilinearForm, Functional, LinearForm
from skfem.helpers import dot, grad


@BilinearForm
def mass(u, v, w):
    return u * v


@BilinearForm
def laplace(u, v, w):
    return dot(grad(u), grad(v))


@LinearForm
def boundary_flux(v, w):
    """A flux density through a boundary (A m-2 or mol m-2 s-1) tested with v."""
    return w["rate"] * v


@BilinearForm
def boundary_flux_sensitivity(u, v, w):
    """Derivative of ``boundary_flux`` with respect to the field whose basis is u."""
    return w["rate_derivative"] * u * v


@Functional
def boundary_integral(w):
    return w["rate"]


@Functional
def boundary_measure(w):
    """Length of a 2D boundary, area of a 3D one."""
    return 1.0 + 0.0 * w.x[0]


def lumped_mass(basis) -> np.ndarray:
    """The lumped mass (storage) of every P1 node: on triangles the node's circumcentric (Voronoi)
    dual area, with the mixed areas of Meyer et al. (2003) on obtuse triangles (A/2 to the obtuse
    vertex, A/4 to the others); a mesh that carries its own (a unit cell's prism layer,
    :class:`electrolyte3d.mesh_files.LayeredMeshTet`) keeps it; elsewhere (lines, tetrahedra)
    the row sums of the mass matrix.

    The row sums (A/3 per vertex) depend on how a rectangle is split into two triangles and give
    the node where a boundary layer meets an insulated side 2/3 or 4/3 of its share; the dual areas
    give every corner of a rectangle a quarter of it, whichever diagonal, so a flat film's
    interface nodes all store alike (tests/test_planar_uniformity.py). Both sum to the element's
    measure, so salt is conserved either way."""
    mesh = basis.mesh
    if getattr(mesh, "lumped_mass", None) is not None:
        return mesh.lumped_mass
    if not isinstance(mesh, skfem.MeshTri):
        return np.asarray(skfem.asm(mass, basis).sum(axis=1)).ravel()
    corners = mesh.p[:, mesh.t]  # (xy, vertex, triangle)
    following, preceding = np.roll(corners, -1, axis=1), np.roll(corners, 1, axis=1)
    to_following, to_preceding = following - corners, preceding - corners
    cross = np.abs(to_following[0] * to_preceding[1] - to_following[1] * to_preceding[0])  # 2 A, per vertex
    dots = np.einsum("dvt,dvt->vt", to_following, to_preceding)
    cotangent = dots / cross
    length_following = np.einsum("dvt,dvt->vt", to_following, to_following)
    # vertex v's Voronoi area: (|e to following|^2 cot(at preceding) + |e to preceding|^2 cot(at following)) / 8
    voronoi = (
        length_following * np.roll(cotangent, 1, axis=0)
        + np.roll(length_following, 1, axis=0) * np.roll(cotangent, -1, axis=0)
    ) / 8
    area = cross[0] / 2
    obtuse = dots < 0
    mixed = np.where(obtuse, area / 2, area / 4)
    share = np.where(obtuse.any(axis=0), mixed, voronoi)
    return np.bincount(mesh.t.ravel(), weights=share.ravel(), minlength=mesh.nvertices)
