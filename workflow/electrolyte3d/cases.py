"""The cases of a study: its designs and the points of its enabled sweeps, each a named
:class:`~electrolyte3d.shapes.Case` with a checked shape and its physics in SI.

A design is one case. A sweep is a grid of values (and/or a list of points) around a design's own
pillars, or a regular pillar array placed at every point; each point is named from its sweep and
the values it sets (``pillar_array_w100_p400_h150_n3``). A point whose shape is impossible stops
the study with the reason, or is left out and listed (``invalid_points: skip``).
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from electrolyte3d.config import (
    cathode_from_config,
    check_mesh,
    check_solver,
    overridden,
    physics_from_config,
)
from electrolyte3d.errors import ConfigError, shown
from electrolyte3d.parameters import UM, Physics
from electrolyte3d.resolution import Resolution, check_levels, check_references
from electrolyte3d.shapes import Case, CrossSection, Shape, UnitCell

RESERVED_NAMES = frozenset({"geometries", "logs", "plots", "benchmarks", "bench"})
"""Folders of results/ that a case's folder results/<case> must not collide with."""


def cases_from_config(config: Mapping) -> dict[str, Case]:
    """All enabled cases of a validated config, by name, each with a checked geometry and physics."""
    check_mesh(config)
    check_solver(config)
    cases: dict[str, Case] = {}
    for case in itertools.chain(_design_cases(config), _sweep_cases(config)):
        if case.name in RESERVED_NAMES:
            raise ConfigError(
                f"case '{case.name}': the name is taken by a results folder "
                f"({', '.join(sorted(RESERVED_NAMES))}); rename it"
            )
        if case.name in cases:
            raise ConfigError(
                f"case '{case.name}': the name is produced twice "
                f"(by '{cases[case.name].design}' and by '{case.design}'); "
                "rename the design or remove the repeated sweep value"
            )
        cases[case.name] = case
    if not cases:
        raise ConfigError("config defines no case: add a design or enable a sweep")
    check_references(cases)
    check_levels(cases, config["mesh"]["max_levels"])
    cathodes = [name for name, case in cases.items() if case.study == "cathode"]
    if cathodes and config["solver"]["mode"] == "stationary":
        raise ConfigError(
            f"case '{cathodes[0]}': a cathode case has no steady state under a constant current (its Li content grows "
            "without end); use solver/mode: transient"
        )
    return cases


def _domain(config: Mapping, overrides: Mapping) -> dict[str, float]:
    return {**config["geometry"], **overrides}


CELL_KEYS = ("lattice", "pillar_diameter_um", "pillar_pitch_um")
"""Design keys of a 3D unit cell (besides pillar_height_um), required there and refused in 2D."""
CROSS_SECTION_KEYS = ("pillar_centres_um", "pillar_width_um")
"""Design keys of a 2D cross-section, refused in 3D."""


def _design_cases(config: Mapping) -> Iterator[Case]:
    for name, design in config["designs"].items():
        domain = _domain(config, design.get("geometry", {}))
        study = design.get("study", config["study"])
        if design.get("dimension", 2) == 3:
            for key in CROSS_SECTION_KEYS:
                if key in design:
                    raise ConfigError(
                        f"case '{name}': {key} describes a 2D cross-section; a 3D cell (dimension: 3) takes "
                        f"{', '.join(CELL_KEYS)}"
                    )
            missing = [key for key in (*CELL_KEYS, "pillar_height_um") if key not in design]
            if missing:
                raise ConfigError(f"case '{name}': a 3D unit cell (dimension: 3) needs {', '.join(missing)}")
            _refuse_electrode_length(f"case '{name}'", design)
            cell = _unit_cell(
                name,
                domain,
                design["lattice"],
                *(design[key] for key in CELL_AXES),
                study,
                _smallest_element(config, UnitCell),
                _layer_thickness(config),
            )
            yield Case(
                name=name,
                design=name,
                study=study,
                shape=cell,
                physics=physics_from_config(name, config["physics"], design.get("physics", {})),
                pillar_pitch=cell.pillar_pitch,
            )
            continue
        for key in CELL_KEYS:
            if key in design:
                raise ConfigError(f"case '{name}': {key} describes a 3D unit cell; set dimension: 3 or remove it")
        if "pillar_centres_um" not in design:
            raise ConfigError(f"case '{name}': pillar_centres_um is required in 2D (an empty list for a planar film)")
        centres = design["pillar_centres_um"]
        if centres:
            for key in ("pillar_width_um", "pillar_height_um"):
                if key not in design:
                    raise ConfigError(f"case '{name}': {key} is required when pillar_centres_um is not empty")
        width = design.get("pillar_width_um", 0.0) if centres else 0.0
        height = design.get("pillar_height_um", 0.0) if centres else 0.0
        if centres and height == 0:
            raise ConfigError(f"case '{name}': pillar_height_um must be positive when pillar_centres_um is not empty")
        section = _cross_section(domain, width, height, centres, study)
        section.check(name, _smallest_element(config, CrossSection))
        physics = overridden(config["physics"], design.get("physics", {}))
        yield Case(
            name=name,
            design=name,
            study=study,
            shape=section,
            physics=physics_from_config(name, config["physics"], design.get("physics", {})),
            cathode=cathode_from_config(name, physics) if study == "cathode" else None,
        )


@dataclass(frozen=True)
class InvalidCase:
    """A sweep point left out because its geometry is impossible (``invalid_points: skip``)."""

    name: str
    design: str
    reason: str
    pillar_width: float
    pillar_pitch: float
    pillar_height: float
    pillar_count: int
    pillar_diameter: float = math.nan


@dataclass(frozen=True)
class SweepAxis:
    """A config key a sweep may vary, and the tag that writes its value into case names."""

    key: str
    tag: str
    geometric: bool


SWEEP_AXES = (
    SweepAxis("pillar_width_um", "w", True),
    SweepAxis("pillar_diameter_um", "d", True),
    SweepAxis("pillar_pitch_um", "p", True),
    SweepAxis("pillar_height_um", "h", True),
    SweepAxis("pillar_count", "n", True),
    SweepAxis("substrate_thickness_um", "s", True),
    SweepAxis("D_plus", "D", False),
    SweepAxis("conductivity_S_cm", "sigma", False),
    SweepAxis("t_plus", "tp", False),
    SweepAxis("exchange_current_density_A_m2", "i0", False),
    SweepAxis("charge_transfer_resistance_ohm", "Rct", False),
    SweepAxis("current_density_mA_cm2", "j", False),
    SweepAxis("temperature_K", "T", False),
    SweepAxis("D_cathode_cm2_s", "Dc", False),
)
"""In the order their tags appear in a case name."""

ARRAY_AXES = ("pillar_width_um", "pillar_pitch_um", "pillar_height_um")
"""What a sweep without a base design needs at every point to place a regular array."""


@dataclass(frozen=True)
class _SweepPoint:
    """A point of a sweep: its case name, its physics overrides (the base's, the sweep's, then the
    point's own values) and its shape, built and checked only when asked (``shape``), so that
    ``invalid_points: skip`` can leave the point out with the reason."""

    sweep: str
    name: str
    physics: Mapping
    shape: Callable[[str], Shape]
    """The checked shape for a study type; raises :class:`ConfigError` for an impossible one."""
    pillar_pitch: float | None
    """The pitch of a regular array (SI); None around a design's own pillars."""
    sizes: Mapping
    """pillar_width, pillar_height, pillar_count and pillar_diameter of the point, SI (NaN where a
    kind of shape has none), for the row of an invalid point."""


def _sweep_values(config: Mapping, sweep_name: str) -> Iterator[dict]:
    """The points of a sweep as {axis key: value}: the grid of its listed axes, then its explicit points."""
    sweep = config["sweeps"][sweep_name]
    grid_keys = [axis.key for axis in SWEEP_AXES if axis.key in sweep]
    if not grid_keys and "points" not in sweep:
        raise ConfigError(
            f"sweep '{sweep_name}' lists no values: give at least one axis (e.g. t_plus: [0.3, 0.4]) or points"
        )
    if grid_keys:
        for values in itertools.product(*(sweep[key] for key in grid_keys)):
            yield dict(zip(grid_keys, values, strict=True))
    yield from sweep.get("points", [])


def sweep_dimension(config: Mapping, sweep_name: str) -> int:
    """A sweep's dimension: its own, else its design's, else 2; refused if they differ."""
    sweep = config["sweeps"][sweep_name]
    design = config["designs"].get(sweep.get("design"))
    if design is not None and "dimension" in sweep and sweep["dimension"] != design.get("dimension", 2):
        raise ConfigError(
            f"sweep '{sweep_name}': dimension {sweep['dimension']} around design '{sweep['design']}', "
            f"a {design.get('dimension', 2)}D design; drop one of them"
        )
    return sweep.get("dimension", (design or {}).get("dimension", 2))


def _sweep_points(config: Mapping, sweep_name: str) -> Iterator[_SweepPoint]:
    if sweep_dimension(config, sweep_name) == 3:
        yield from _cell_sweep_points(config, sweep_name)
        return
    sweep = config["sweeps"][sweep_name]
    for key in ("lattice", "pillar_diameter_um"):
        if any(key in entry for entry in [sweep, *sweep.get("points", [])]):
            raise ConfigError(f"sweep '{sweep_name}': {key} describes 3D unit cells; set dimension: 3")
    base = _sweep_base(config, sweep_name)
    smallest = _smallest_element(config, CrossSection)
    for values in _sweep_values(config, sweep_name):
        domain = _point_domain(config, base, sweep, values)
        if base:
            centres = base["pillar_centres_um"]
            width = values.get("pillar_width_um", base.get("pillar_width_um", 0.0)) if centres else 0.0
            height = values.get("pillar_height_um", base.get("pillar_height_um", 0.0)) if centres else 0.0
            pitch = None
            count = len(centres)
        else:
            missing = [key for key in ARRAY_AXES if key not in values]
            if missing:
                raise ConfigError(
                    f"sweep '{sweep_name}': a regular pillar array needs {', '.join(missing)} at every point "
                    "(or set `design:` to sweep around a design's own pillars)"
                )
            width, pitch, height = (values[key] for key in ARRAY_AXES)
            count = values.get("pillar_count", "fill")
            if count == "fill":
                count = math.floor(domain["electrode_length_um"] / pitch)
            centres = [(index - (count - 1) / 2) * pitch for index in range(count)]
            values = {**values, "pillar_count": count}
        name, physics = _point_name_and_physics(sweep_name, sweep, base, values)
        yield _SweepPoint(
            sweep_name,
            name,
            physics,
            functools.partial(_checked_section, sweep_name, name, domain, width, pitch, height, centres, smallest),
            None if pitch is None else pitch * UM,
            {
                "pillar_width": width * UM,
                "pillar_height": height * UM,
                "pillar_count": count,
                "pillar_diameter": math.nan,
            },
        )


def _point_domain(config: Mapping, base: Mapping, sweep: Mapping, values: Mapping) -> dict:
    """A sweep point's domain (um): the shared geometry, the base design's and the sweep's
    overrides, then the point's own substrate thickness."""
    domain = _domain(config, {**base.get("geometry", {}), **sweep.get("geometry", {})})
    if "substrate_thickness_um" in values:
        domain["substrate_thickness_um"] = values["substrate_thickness_um"]
    return domain


def _point_name_and_physics(sweep_name: str, sweep: Mapping, base: Mapping, values: Mapping) -> tuple[str, dict]:
    """A sweep point's case name (the sweep's, then a tag and value per axis it sets) and its
    physics overrides (the base design's, the sweep's, then the point's own values)."""
    tags = [axis for axis in SWEEP_AXES if axis.key in values]
    name = "_".join([sweep_name, *(f"{axis.tag}{_slug(values[axis.key])}" for axis in tags)])
    axes = {axis.key: values[axis.key] for axis in SWEEP_AXES if not axis.geometric and axis.key in values}
    return name, overridden(overridden(base.get("physics", {}), sweep.get("physics", {})), axes)


CELL_AXES = ("pillar_diameter_um", "pillar_pitch_um", "pillar_height_um")
"""What every point of a 3D sweep needs, from the sweep or its design."""


def _cell_sweep_points(config: Mapping, sweep_name: str) -> Iterator[_SweepPoint]:
    sweep = config["sweeps"][sweep_name]
    base = _sweep_design(config, sweep_name)
    _refuse_electrode_length(f"sweep '{sweep_name}'", sweep)
    for key in ("pillar_width_um", "pillar_count"):
        if any(key in entry for entry in [sweep, *sweep.get("points", [])]):
            raise ConfigError(
                f"sweep '{sweep_name}': {key} describes 2D cross-sections; a 3D sweep takes {', '.join(CELL_AXES)}"
            )
    lattice = sweep.get("lattice", base.get("lattice"))
    if lattice is None:
        raise ConfigError(f"sweep '{sweep_name}': a 3D sweep needs lattice: square, hexagonal or ridge")
    for values in _sweep_values(config, sweep_name):
        domain = _point_domain(config, base, sweep, values)
        cell = {key: values.get(key, base.get(key)) for key in CELL_AXES}
        missing = [key for key, value in cell.items() if value is None]
        if missing:
            raise ConfigError(
                f"sweep '{sweep_name}': a 3D cell needs {', '.join(missing)} at every point (from the sweep or "
                "its design)"
            )
        name, physics = _point_name_and_physics(sweep_name, sweep, base, values)
        diameter, pitch, height = (cell[key] for key in CELL_AXES)
        yield _SweepPoint(
            sweep_name,
            name,
            physics,
            functools.partial(
                _unit_cell,
                name,
                domain,
                lattice,
                diameter,
                pitch,
                height,
                smallest=_smallest_element(config, UnitCell),
                layer_thickness=_layer_thickness(config),
            ),
            pitch * UM,
            {
                "pillar_width": math.nan,
                "pillar_height": height * UM,
                "pillar_count": math.nan,
                "pillar_diameter": diameter * UM,
            },
        )


def _sweep_design(config: Mapping, sweep_name: str) -> Mapping:
    """The design named by a sweep's ``design:`` (empty without one), checked to exist."""
    sweep = config["sweeps"][sweep_name]
    if sweep_name in config["designs"]:
        raise ConfigError(
            f"sweep '{sweep_name}': a design has this name too; rename the sweep (its name leads its cases' names)"
        )
    if "design" not in sweep:
        return {}
    if sweep["design"] not in config["designs"]:
        raise ConfigError(
            f"sweep '{sweep_name}': design '{sweep['design']}' is not among the designs "
            f"({', '.join(config['designs']) or 'none'})"
        )
    return config["designs"][sweep["design"]]


def _sweep_base(config: Mapping, sweep_name: str) -> Mapping:
    """The design a sweep varies (``design:``), or an empty mapping for a regular array."""
    sweep = config["sweeps"][sweep_name]
    if not _sweep_design(config, sweep_name):
        return {}
    swept = {key for point in [sweep, *sweep.get("points", [])] for key in point}
    placing = sorted(swept & {"pillar_pitch_um", "pillar_count"}, reverse=True)
    if placing:
        raise ConfigError(
            f"sweep '{sweep_name}': {placing[0]} places a regular array, which a sweep around design "
            f"'{sweep['design']}' (its own pillar centres) cannot take; drop `design:` to sweep regular arrays"
        )
    design = config["designs"][sweep["design"]]
    sized = sorted(swept & {"pillar_width_um", "pillar_height_um"})
    if not design["pillar_centres_um"] and sized:
        raise ConfigError(
            f"sweep '{sweep_name}': design '{sweep['design']}' has no pillars, so {sized[0]} cannot be swept around it"
        )
    return design


def sweep_study(config: Mapping, sweep_name: str) -> str:
    """A sweep's study type: its own, else its design's, else the shared one."""
    sweep = config["sweeps"][sweep_name]
    design = config["designs"].get(sweep.get("design"), {})
    return sweep.get("study", design.get("study", config["study"]))


def enabled_sweeps(config: Mapping) -> list[str]:
    return [name for name, sweep in config["sweeps"].items() if sweep["enabled"]]


def _sweep_cases(config: Mapping) -> Iterator[Case]:
    physics_of: dict[str, Physics] = {}  # sweeps often share one physics over many geometries
    for sweep_name in enabled_sweeps(config):
        sweep = config["sweeps"][sweep_name]
        study = sweep_study(config, sweep_name)
        if study != "cathode" and any("D_cathode_cm2_s" in entry for entry in [sweep, *sweep.get("points", [])]):
            raise ConfigError(
                f"sweep '{sweep_name}': D_cathode_cm2_s is swept, but its cases are anode cases (no cathode); "
                "set study: cathode or sweep around a cathode design"
            )
        if study != "anode" and sweep_dimension(config, sweep_name) == 3:
            raise ConfigError(
                f"sweep '{sweep_name}': a 3D unit cell (dimension: 3) solves the anode study only; set study: anode"
            )
        resolution = Resolution.from_config(f"sweep '{sweep_name}'", sweep["resolution"])
        for point in _sweep_points(config, sweep_name):
            try:
                shape = point.shape(study)
            except ConfigError:
                if sweep["invalid_points"] == "skip":
                    continue
                raise
            key = repr(sorted(point.physics.items()))
            where = f"sweep '{sweep_name}' (case '{point.name}')"
            if key not in physics_of:
                physics_of[key] = physics_from_config(where, config["physics"], point.physics)
            yield Case(
                name=point.name,
                design=sweep_name,
                study=study,
                shape=shape,
                physics=physics_of[key],
                cathode=(
                    cathode_from_config(where, overridden(config["physics"], point.physics))
                    if study == "cathode"
                    else None
                ),
                pillar_pitch=point.pillar_pitch,
                base=sweep.get("design", "") if not {"physics", "geometry"} & set(sweep) else "",
                resolution=resolution,
            )


def invalid_cases(config: Mapping) -> list[InvalidCase]:
    """The sweep points left out by ``invalid_points: skip``, each with the reason (SI values)."""
    invalid = []
    for sweep_name in enabled_sweeps(config):
        if config["sweeps"][sweep_name]["invalid_points"] != "skip":
            continue
        study = sweep_study(config, sweep_name)
        for point in _sweep_points(config, sweep_name):
            try:
                point.shape(study)
            except ConfigError as error:
                invalid.append(
                    InvalidCase(
                        name=point.name,
                        design=sweep_name,
                        reason=str(error),
                        pillar_pitch=math.nan if point.pillar_pitch is None else point.pillar_pitch,
                        **point.sizes,
                    )
                )
    return invalid


def _smallest_element(config: Mapping, shape_type: type[Shape]) -> float:
    """The smallest element the mesh of a kind of shape places (level 0), m."""
    node = config
    for key in shape_type.smallest_element_key.split("/"):
        node = node[key]
    return node * UM


def _layer_thickness(config: Mapping) -> float:
    """The 3D cells' prism layer thickness, m."""
    return config["mesh"]["cell"]["boundary_layer_thickness_um"] * UM


def _cross_section(domain: Mapping, width: float, height: float, centres: list[float], study: str) -> CrossSection:
    return CrossSection(
        electrode_length=domain["electrode_length_um"] * UM,
        electrode_thickness=domain["electrode_thickness_um"] * UM,
        substrate_thickness=domain["substrate_thickness_um"] * UM,
        pillar_width=width * UM,
        pillar_height=height * UM,
        pillar_centres=tuple(centre * UM for centre in centres),
        electrode_solved=study == "cathode",
    )


def _checked_section(
    sweep: str,
    case: str,
    domain: Mapping,
    width: float,
    pitch: float | None,
    height: float,
    centres: list[float],
    smallest: float,
    study: str,
) -> CrossSection:
    """A regular array's or a design's section at a sweep point (config values in um), checked."""
    if not centres and pitch is not None:
        raise ConfigError(
            f"sweep '{sweep}': pillar_pitch_um = {shown(pitch)} is longer than "
            f"electrode_length_um = {shown(domain['electrode_length_um'])}, so 'fill' places no pillar"
        )
    section = _cross_section(domain, width, height, centres, study)
    section.check(case, smallest, pitch=None if pitch is None else pitch * UM)
    return section


def _unit_cell(
    case: str,
    domain: Mapping,
    lattice: str,
    diameter: float,
    pitch: float,
    height: float,
    study: str,
    smallest: float,
    layer_thickness: float,
) -> UnitCell:
    """A checked 3D unit cell from the config's values (um); ``smallest`` is the smallest element
    the mesh places (at the pillar rims), which a pillar and the gap between pillars must exceed,
    and ``layer_thickness`` (m) the prism layer's, which must fit the cell."""
    if study != "anode":
        raise ConfigError(f"case '{case}': a 3D unit cell (dimension: 3) solves the anode study only; set study: anode")
    cell = UnitCell(
        lattice=lattice,
        pillar_diameter=diameter * UM,
        pillar_pitch=pitch * UM,
        pillar_height=height * UM,
        substrate_thickness=domain["substrate_thickness_um"] * UM,
        electrode_thickness=domain["electrode_thickness_um"] * UM,
    )
    cell.check(case, smallest)
    cell.check_layer(f"case '{case}'", layer_thickness)
    return cell


def _refuse_electrode_length(where: str, entry: Mapping) -> None:
    if "electrode_length_um" in entry.get("geometry", {}):
        raise ConfigError(
            f"{where}: geometry/electrode_length_um does not apply to a 3D unit cell (its size follows from the pitch)"
        )


def _slug(value: float) -> str:
    """Number for a case name, to 12 significant digits: 100 -> '100', 37.5 -> '37p5',
    6.6e-10 -> '6p6e-10'."""
    return f"{value:.12g}".replace(".", "p").replace("+", "")
