"""The shape protocol: a 2D cross-section and a 3D unit cell answer the same questions, so the
rules, scripts and datasets never branch on the dimension."""

import math

import pytest
from electrolyte3d.errors import ConfigError
from electrolyte3d.parameters import UM
from electrolyte3d.settings import MeshSettings, UnitCellMeshSettings
from electrolyte3d.shapes import SHAPES, CrossSection, UnitCell, element_count, shape_from_params

SECTION = CrossSection(1400 * UM, 450 * UM, 37.5 * UM, 100 * UM, 150 * UM, (-400 * UM, 0.0, 400 * UM))
CELL = UnitCell("hexagonal", 100 * UM, 400 * UM, 150 * UM, 37.5 * UM, 450 * UM)
PROTOCOL = (
    "dimension",
    "element_noun",
    "settings_type",
    "smallest_element_key",
    "resolution_key",
    "interface_noun",
    "budget",
    "has_field_picture",
    "electrode_solved",
    "key",
    "as_params",
    "from_params",
    "build",
    "mesh",
    "counts",
    "estimated_elements",
    "descriptors",
    "check",
)


@pytest.mark.parametrize("shape", [SECTION, CELL], ids=["section", "cell"])
def test_both_shapes_offer_the_whole_protocol_and_round_trip_through_params(shape):
    assert all(hasattr(shape, member) for member in PROTOCOL)
    assert SHAPES[shape.dimension] is type(shape)
    assert shape_from_params(shape.as_params()) == shape
    assert set(shape.descriptors(None)) == set(SECTION.descriptors(None))


def test_element_counts_are_read_by_the_shapes_noun():
    assert element_count({"triangles": 5}) == 5
    assert element_count({"dimension": 3, "tetrahedra": 7, "triangles": 2}) == 7


def test_estimates_shrink_with_the_ladder_by_the_shapes_dimension():
    section_ladder = MeshSettings(1.5, 4 * UM, 2 * UM, 0.4 * UM, 10 * UM, 50 * UM, 100 * UM, 5e-3 * UM, 1.25, 0.4 * UM)
    cell_ladder = UnitCellMeshSettings(1.5, 40 * UM, 20 * UM, 10 * UM, 10 * UM, 100 * UM, 100 * UM, 1 * UM, 1.5, 4 * UM)
    assert SECTION.estimated_elements(section_ladder, 1) / SECTION.estimated_elements(section_ladder, 0) == (
        pytest.approx(1.5**2)
    )
    # a 3D level: the interface's nodes grow by ratio**2, and the prism layer gains rows
    rows = [len(cell_ladder.layer_fractions(level)) - 1 for level in (0, 1)]
    assert CELL.estimated_elements(cell_ladder, 1) / CELL.estimated_elements(cell_ladder, 0) == pytest.approx(
        1.5**2 * rows[1] / rows[0]
    )


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        (CrossSection(1400 * UM, 450 * UM, 37.5 * UM, 1e-6 * UM, 150 * UM, (0.0,)), "pillar_width_um = 1e-06"),
        (CrossSection(1400 * UM, 450 * UM, 37.5 * UM, 100 * UM, 150 * UM, (-50.1 * UM, 50.1 * UM)), "a gap of 0.2 um"),
        (UnitCell("square", 0.3 * UM, 400 * UM, 150 * UM, 37.5 * UM, 450 * UM), "pillar_diameter_um = 0.3"),
    ],
)
def test_each_shape_refuses_features_narrower_than_its_smallest_element(shape, message):
    with pytest.raises(ConfigError, match=message) as error:
        shape.check("narrow", 0.4 * UM)
    assert shape.smallest_element_key in str(error.value)
    shape.check("narrow", 1e-7 * UM)


def test_a_planar_film_has_nothing_to_refuse():
    CrossSection(1400 * UM, 450 * UM, 37.5 * UM, 0.0, 0.0, ()).check("film", 0.4 * UM)
    assert math.isnan(CELL.descriptors(None)["pillar_width"])
