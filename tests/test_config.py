"""Config: schema defaults, the paper's designs, sweep expansion, and every invalid example."""

import re
from pathlib import Path

import pytest
from electrolyte3d.cases import cases_from_config, invalid_cases
from electrolyte3d.config import ConfigError, load_config, validate_config
from electrolyte3d.parameters import UM
from electrolyte3d.settings import MeshSettings

REPO = Path(__file__).resolve().parents[1]
INVALID = sorted((Path(__file__).parent / "bad_configs").glob("*.yaml"))


def test_default_config_is_the_papers_anode_and_cathode_studies():
    cases = cases_from_config(load_config(REPO / "config" / "config.yaml"))
    assert list(cases) == [
        "planar",
        "spiral",
        "pillar",
        "cathode_planar",
        "cathode_pillar",
        "cathode_planar_S6",
        "cathode_pillar_S6",
    ]
    assert {name for name, case in cases.items() if case.study == "cathode"} == {
        name for name in cases if name.startswith("cathode")
    }
    cathode = cases["cathode_pillar"]
    assert cathode.shape.electrode_length == pytest.approx(2000 * UM)
    assert cathode.shape.electrode_thickness == pytest.approx(200 * UM)
    assert cathode.shape.pillar_count == 5 and cases["cathode_planar"].shape.pillar_count == 0
    assert cathode.cathode.diffusivity == pytest.approx(5.0e-17)  # 5.0e-13 cm2/s, the paper's text
    assert cases["cathode_pillar_S6"].cathode.diffusivity == pytest.approx(5.0e-16)  # Table S6
    pillar = cases["pillar"].shape
    assert pillar.electrode_length == pytest.approx(1400 * UM)
    assert pillar.electrode_thickness == pytest.approx(450 * UM)
    assert pillar.substrate_thickness == pytest.approx(37.5 * UM)
    assert pillar.pillar_centres == pytest.approx((-400 * UM, 0.0, 400 * UM))
    assert cases["spiral"].shape.pillar_centres == pytest.approx(tuple(x * UM for x in (-550, -150, 150, 550)))
    assert cases["planar"].shape.pillar_count == 0


def test_schema_defaults_equal_the_default_config_file():
    empty: dict = {}
    validate_config(empty)
    assert empty == load_config(REPO / "config" / "config.yaml")


def mixed_sweep(invalid_points: str) -> dict:
    """A width x pitch grid where width 450 overlaps at pitch 400 and pitch 1500 fills nothing."""
    config = {
        "designs": {},
        "sweeps": {
            "grid": {
                "invalid_points": invalid_points,
                "pillar_width_um": [100, 450],
                "pillar_pitch_um": [400, 1500],
                "pillar_height_um": [150],
                "physics": {"D_plus": 6.6e-10, "exchange_current_density_A_m2": 1.0},
            }
        },
    }
    validate_config(config)
    return config


def test_a_sweep_with_impossible_points_is_rejected_by_default():
    with pytest.raises(ConfigError, match="pillar_pitch_um = 1500 is longer than electrode_length_um"):
        cases_from_config(mixed_sweep("reject"))


def test_skipped_sweep_points_are_listed_with_their_reason():
    config = mixed_sweep("skip")
    assert list(cases_from_config(config)) == ["grid_w100_p400_h150_n3"]
    skipped = {case.name: case for case in invalid_cases(config)}
    assert sorted(skipped) == ["grid_w100_p1500_h150_n0", "grid_w450_p1500_h150_n0", "grid_w450_p400_h150_n3"]
    assert "overlap or touch" in skipped["grid_w450_p400_h150_n3"].reason
    assert "'fill' places no pillar" in skipped["grid_w100_p1500_h150_n0"].reason
    assert skipped["grid_w450_p400_h150_n3"].pillar_width == pytest.approx(450 * UM)
    assert invalid_cases(mixed_sweep("reject")) == []


def test_sweep_expands_to_named_regular_arrays():
    config = {
        "designs": {},
        "sweeps": {
            "grid": {
                "pillar_width_um": [100, 37.5],
                "pillar_pitch_um": [400],
                "pillar_height_um": [150],
                "pillar_count": ["fill", 2],
                "physics": {"D_plus": 6.6e-10, "exchange_current_density_A_m2": 1.0},
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
    assert filled.shape.pillar_centres == pytest.approx((-400 * UM, 0.0, 400 * UM))
    assert filled.pillar_pitch == pytest.approx(400 * UM)
    assert cases["grid_w37p5_p400_h150_n2"].shape.pillar_centres == pytest.approx((-200 * UM, 200 * UM))
    assert cases["grid_w37p5_p400_h150_n2"].shape.pillar_width == pytest.approx(37.5 * UM)


def test_disabled_sweep_adds_no_case():
    config = load_config(REPO / "config" / "config.yaml")
    assert config["sweeps"]["pillar_array"]["enabled"] is False
    config["sweeps"]["pillar_array"]["enabled"] = True
    cases = cases_from_config(config)
    assert len(cases) == 7 + 3 * 2 * 2
    assert "pillar_array_w150_p400_h75_n3" in cases


def test_geometry_params_round_trip():
    case = cases_from_config(load_config(REPO / "config" / "config.yaml"))["spiral"]
    assert type(case.shape).from_params(case.shape.as_params()) == case.shape


def test_mesh_settings_are_si_and_scale_per_level():
    settings = MeshSettings.from_config(load_config(REPO / "config" / "config.yaml"))
    assert settings.interface_size == pytest.approx(2.0 * UM)
    assert settings.size_factor(2) == pytest.approx(1.5**-2)
    assert "levels" not in settings.as_params()


def test_paper_physics_in_si():
    cases = cases_from_config(load_config(REPO / "config" / "config.yaml"))
    assert [cases[name].physics.D_plus for name in ("planar", "spiral", "pillar")] == pytest.approx(
        [3.2e-16, 1.6e-15, 6.6e-14]
    )
    pillar = cases["pillar"].physics
    # i0 = R T / (F (R_ct / 2) A), Table S2 p-3DSE 1st cycle, A = 1.13 cm2
    assert pillar.exchange_current_density == pytest.approx(8.314462618 * 298.15 / (96485.33212 * 435.3 / 2 * 1.13e-4))
    assert pillar.alpha_a + pillar.alpha_c == 1
    assert pillar.current_density == pytest.approx(3.0)
    assert pillar.c0 == pytest.approx(1000.0)


def test_diffusivity_from_conductivity_reproduces_it_and_overrides_replace_the_alternative():
    config = {
        "designs": {
            "shared": {"pillar_centres_um": []},
            "own": {"pillar_centres_um": [], "physics": {"D_plus": 1.0e-11, "D_unit": "m2/s"}},
        },
        "physics": {"conductivity_S_cm": 2.0e-4, "t_plus": 0.4, "exchange_current_density_A_m2": 1.0},
    }
    validate_config(config)
    cases = cases_from_config(config)
    shared = cases["shared"].physics
    assert shared.conductivity_per_concentration * shared.c0 == pytest.approx(2.0e-4 * 100)  # S/cm -> S/m
    assert cases["own"].physics.D_plus == pytest.approx(1.0e-11)


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


def test_a_physics_axis_names_its_cases_and_shares_their_geometry():
    config = {
        "designs": {},
        "sweeps": {
            "grid": {
                "pillar_width_um": [100],
                "pillar_pitch_um": [400],
                "pillar_height_um": [150],
                "D_plus": [6.6e-10, 1.0e-9],
                "current_density_mA_cm2": [0.3, 0.6],
            }
        },
        "physics": {"charge_transfer_resistance_ohm": 435.3},
    }
    validate_config(config)
    cases = cases_from_config(config)
    assert sorted(cases) == sorted(
        f"grid_w100_p400_h150_n3_D{d}_j{j}" for d in ("6p6e-10", "1e-09") for j in ("0p3", "0p6")
    )
    case = cases["grid_w100_p400_h150_n3_D1e-09_j0p6"]
    assert case.physics.D_plus == pytest.approx(1.0e-13)  # cm2/s -> m2/s
    assert case.physics.current_density == pytest.approx(6.0)  # mA/cm2 -> A/m2
    assert len({case.shape.key for case in cases.values()}) == 1


def test_a_sweep_around_a_design_keeps_its_pillars_and_physics_and_changes_the_swept_values():
    config = load_config(REPO / "config" / "config.yaml")
    config["sweeps"] = {
        "around": {"design": "spiral", "pillar_height_um": [75], "substrate_thickness_um": [20, 37.5], "t_plus": [0.3]}
    }
    validate_config(config)
    cases = cases_from_config(config)
    spiral = cases["spiral"]
    thin, same = cases["around_h75_s20_tp0p3"], cases["around_h75_s37p5_tp0p3"]
    assert thin.shape.pillar_centres == spiral.shape.pillar_centres
    assert thin.shape.pillar_height == pytest.approx(75 * UM) and thin.shape.substrate_thickness == pytest.approx(
        20 * UM
    )
    assert thin.physics.D_plus == spiral.physics.D_plus and thin.physics.t_plus == 0.3
    assert thin.shape.key != same.shape.key != spiral.shape.key


def test_explicit_points_add_cases_beside_the_grid():
    config = {
        "designs": {},
        "sweeps": {
            "mixed": {
                "pillar_width_um": [100],
                "pillar_pitch_um": [400],
                "pillar_height_um": [150],
                "points": [
                    {
                        "pillar_width_um": 60,
                        "pillar_pitch_um": 250,
                        "pillar_height_um": 100,
                        "pillar_count": 2,
                        "t_plus": 0.4,
                    }
                ],
            }
        },
        "physics": {"D_plus": 6.6e-10, "exchange_current_density_A_m2": 1.0},
    }
    validate_config(config)
    cases = cases_from_config(config)
    assert list(cases) == ["mixed_w100_p400_h150_n3", "mixed_w60_p250_h100_n2_tp0p4"]
    point = cases["mixed_w60_p250_h100_n2_tp0p4"]
    assert point.shape.pillar_centres == pytest.approx((-125 * UM, 125 * UM))
    assert point.physics.t_plus == 0.4 and cases["mixed_w100_p400_h150_n3"].physics.t_plus == 0.5


def test_every_ready_made_study_is_valid():
    studies = sorted((REPO / "config" / "studies").glob("*.yaml"))
    assert {path.stem for path in studies} >= {"paper", "paper-D-m2s", "shared-D", "width-pitch", "t-plus"}
    for path in studies:
        assert cases_from_config(load_config(path)), path
    paper = cases_from_config(load_config(REPO / "config" / "studies" / "paper.yaml"))
    assert paper == cases_from_config(load_config(REPO / "config" / "config.yaml"))
    in_m2_s = cases_from_config(load_config(REPO / "config" / "studies" / "paper-D-m2s.yaml"))
    assert in_m2_s["pillar"].physics.D_plus == pytest.approx(1e4 * paper["pillar"].physics.D_plus)
    shared = cases_from_config(load_config(REPO / "config" / "studies" / "shared-D.yaml"))
    assert len({case.physics for case in shared.values()}) == 1


def test_a_physics_axis_replaces_the_other_source_of_its_quantity_at_every_layer():
    config = load_config(REPO / "config" / "config.yaml")  # every paper design sets D_plus and R_ct
    config["sweeps"] = {
        "sigma": {"design": "pillar", "conductivity_S_cm": [1.0e-4]},
        "kinetics": {"design": "planar", "exchange_current_density_A_m2": [1.0, 10.0]},
        "own_D": {"design": "spiral", "physics": {"D_plus": 1.0e-11}, "conductivity_S_cm": [2.0e-4]},
    }
    validate_config(config)
    cases = cases_from_config(config)
    assert cases["sigma_sigma0p0001"].physics.conductivity_per_concentration * 1000.0 == pytest.approx(1.0e-4 * 100)
    assert cases["kinetics_i010"].physics.exchange_current_density == 10.0
    assert cases["own_D_sigma0p0002"].physics.D_plus == pytest.approx(cases["sigma_sigma0p0001"].physics.D_plus * 2)


def test_close_sweep_values_give_distinct_names():
    config = {
        "designs": {"film": {"pillar_centres_um": []}},
        "sweeps": {"fine": {"design": "film", "current_density_mA_cm2": [0.00123451, 0.00123452]}},
        "physics": {"D_plus": 6.6e-10, "exchange_current_density_A_m2": 1.0},
    }
    validate_config(config)
    assert sorted(cases_from_config(config)) == ["film", "fine_j0p00123451", "fine_j0p00123452"]
