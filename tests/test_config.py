"""Config: schema defaults, the paper's designs, sweep expansion, and every invalid example."""

import re
from pathlib import Path

import pytest

from electrolyte3d.config import (
    UM,
    ConfigError,
    MeshSettings,
    cases_from_config,
    load_config,
    validate_config,
)

REPO = Path(__file__).resolve().parents[1]
INVALID = sorted((Path(__file__).parent / "invalid_configs").glob("*.yaml"))


def test_default_config_is_the_papers_anode_study():
    cases = cases_from_config(load_config(REPO / "config" / "config.yaml"))
    assert list(cases) == ["planar", "spiral", "pillar"]
    pillar = cases["pillar"].geometry
    assert pillar.electrode_length == pytest.approx(1400 * UM)
    assert pillar.electrode_thickness == pytest.approx(450 * UM)
    assert pillar.substrate_thickness == pytest.approx(37.5 * UM)
    assert pillar.pillar_centres == pytest.approx((-400 * UM, 0.0, 400 * UM))
    assert cases["spiral"].geometry.pillar_centres == pytest.approx(tuple(x * UM for x in (-550, -150, 150, 550)))
    assert cases["planar"].geometry.pillar_count == 0


def test_schema_defaults_equal_the_default_config_file():
    empty: dict = {}
    validate_config(empty)
    assert empty == load_config(REPO / "config" / "config.yaml")


def test_sweep_expands_to_named_regular_arrays():
    config = {
        "designs": {},
        "sweeps": {
            "grid": {
                "pillar_width_um": [100, 37.5],
                "pillar_pitch_um": [400],
                "pillar_height_um": [150],
                "pillar_count": ["fill", 2],
            }
        },
    }
    validate_config(config)
    cases = cases_from_config(config)
    assert sorted(cases) == sorted(
        [
            "grid_w100_p400_h150_n3",
            "grid_w100_p400_h150_n2",
            "grid_w37p5_p400_h150_n3",
            "grid_w37p5_p400_h150_n2",
        ]
    )
    filled = cases["grid_w100_p400_h150_n3"]
    assert filled.geometry.pillar_centres == pytest.approx((-400 * UM, 0.0, 400 * UM))
    assert filled.pillar_pitch == pytest.approx(400 * UM)
    assert cases["grid_w37p5_p400_h150_n2"].geometry.pillar_centres == pytest.approx((-200 * UM, 200 * UM))
    assert cases["grid_w37p5_p400_h150_n2"].geometry.pillar_width == pytest.approx(37.5 * UM)


def test_disabled_sweep_adds_no_case():
    config = load_config(REPO / "config" / "config.yaml")
    assert config["sweeps"]["pillar_array"]["enabled"] is False
    config["sweeps"]["pillar_array"]["enabled"] = True
    cases = cases_from_config(config)
    assert len(cases) == 3 + 3 * 2 * 2
    assert "pillar_array_w150_p400_h75_n3" in cases


def test_geometry_params_round_trip():
    case = cases_from_config(load_config(REPO / "config" / "config.yaml"))["spiral"]
    assert type(case.geometry).from_params(case.geometry.as_params()) == case.geometry


def test_mesh_settings_are_si_and_scale_per_level():
    settings = MeshSettings.from_config(load_config(REPO / "config" / "config.yaml"))
    assert settings.interface_size == pytest.approx(2.0 * UM)
    assert settings.size_factor(2) == pytest.approx(1.5**-2)
    assert "levels" not in settings.as_params()


@pytest.mark.parametrize("path", INVALID, ids=[path.stem for path in INVALID])
def test_invalid_config_gives_its_error(path):
    expected = path.read_text().splitlines()[0].removeprefix("# expect: ")
    with pytest.raises(ConfigError) as error:
        cases_from_config(load_config(path))
    message = str(error.value)
    assert re.search(expected, message), message
    assert "\n" not in message


def test_there_are_invalid_examples_for_each_geometry_mistake():
    assert len(INVALID) >= 20
