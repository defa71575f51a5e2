"""Weak forms of the reduced Nernst-Planck system (salt concentration c, electrolyte potential phi).

    dc/dt = div(D_amb grad c)                     salt balance
    div i = 0,  i = -kappa(c) grad phi - F (D+ - D-) grad c,  kappa = (F^2 (D+ + D-) / RT) c

Coefficients reach a form through ``w``: ``w['kappa']`` (S m-1), ``w['dkappa_dc']``,
``w['grad_phi']``, ``w['rate']`` (a boundary flux) and its derivatives, all at quadrature points.
"""

from skfem import BilinearForm, Functional, LinearForm
from skfem.helpers import dot, grad


@BilinearForm
def mass(u, v, w):
    return u * v


@BilinearForm
def laplace(u, v, w):
    return dot(grad(u), grad(v))


@BilinearForm
def conduction(u, v, w):
    """Ionic conduction kappa(c) grad(phi) . grad(v), differentiated in phi."""
    return w["kappa"] * dot(grad(u), grad(v))


@BilinearForm
def conduction_concentration_sensitivity(u, v, w):
    """kappa(c) grad(phi) . grad(v), differentiated in c (kappa is linear in c)."""
    return w["dkappa_dc"] * u * dot(w["grad_phi"], grad(v))


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
