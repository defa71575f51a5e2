"""CrossSection: what gmsh/OpenCASCADE builds matches hand-computed lengths and areas (um)."""

import gmsh
import pytest
from conftest import REPO
from electrolyte3d import geometry
from electrolyte3d.cases import cases_from_config
from electrolyte3d.config import load_config
from electrolyte3d.mesh import physical_groups
from electrolyte3d.parameters import UM

CASES = cases_from_config(load_config(REPO / "config" / "config.yaml"))

# design: (interface length, electrolyte area, electrode area, pillars), by hand from docs/model.md section 1
HAND_COMPUTED = {
    "planar": (1400, 1400 * 37.5, 1400 * 450, 0),
    "spiral": (1400 + 4 * 2 * 150, 1400 * 37.5 + 4 * 100 * 150, 1400 * 450 - 4 * 100 * 150, 4),
    "pillar": (1400 + 3 * 2 * 150, 1400 * 37.5 + 3 * 100 * 150, 1400 * 450 - 3 * 100 * 150, 3),
}


@pytest.fixture(params=list(HAND_COMPUTED))
def built(request):
    with geometry.gmsh_session(log_to_terminal=False):
        groups = geometry.build(CASES[request.param].shape)
        yield request.param, groups


def test_lengths_and_areas_match_hand_computed_values(built):
    design, groups = built
    interface, electrolyte, electrode, pillars = HAND_COMPUTED[design]
    measured = geometry.measured_numbers(groups)
    assert measured["interface_length_m"] == pytest.approx(interface * UM, rel=1e-12)
    assert measured["electrolyte_area_m2"] == pytest.approx(electrolyte * UM**2, rel=1e-12)
    assert measured["electrode_area_m2"] == pytest.approx(electrode * UM**2, rel=1e-12)
    assert measured["top_length_m"] == pytest.approx(1400 * UM, rel=1e-12)
    assert measured["insulation_length_m"] == pytest.approx((2 * 37.5 + 2 * 450 + 1400) * UM, rel=1e-12)
    assert CASES[design].shape.pillar_count == pillars
    assert CASES[design].shape.interface_length == pytest.approx(interface * UM)


def test_physical_groups_are_named_and_partition_the_domain(built):
    design, groups = built
    assert physical_groups() == groups
    assert set(groups) == set(geometry.PHYSICAL_GROUPS)
    curves = [tag for name in ("interface", "top", "insulation") for tag in groups[name]]
    assert len(curves) == len(set(curves)), "a curve is in two boundary groups"
    assert len(geometry.pillar_corners(groups)) == 4 * HAND_COMPUTED[design][3]


def test_interface_is_conforming_between_the_two_subdomains(built):
    _, groups = built
    electrolyte = {tag for _, tag in gmsh.model.getBoundary([(2, t) for t in groups["electrolyte"]], oriented=False)}
    electrode = {tag for _, tag in gmsh.model.getBoundary([(2, t) for t in groups["electrode"]], oriented=False)}
    assert set(groups["interface"]) == electrolyte & electrode


def test_outline_is_counter_clockwise_and_closed_by_the_top():
    outline = geometry.electrolyte_outline(CASES["pillar"].shape)
    signed_area = 0.5 * sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(outline, outline[1:] + outline[:1]))
    assert signed_area == pytest.approx(97500.0)
