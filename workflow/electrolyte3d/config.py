"""Read a study configuration: validate it, expand designs and sweeps into cases, convert to SI.

The config file speaks the paper's units (um); everything this module hands out is in metres.
Every check that can fail on user input happens here, before any job runs, and fails with a
one-line :class:`ConfigError` naming the case, the key and the value.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import yaml

from electrolyte3d.io import fingerprint
from electrolyte3d.parameters import (
    CM2,
    CM2_S,
    MA_CM2,
    MOL_L,
    S_CM,
    Cathode,
    Physics,
    diffusivity_from_conductivity,
    exchange_current_from_charge_transfer_resistance,
)

UM = 1e-6
"""Metres per micrometre."""

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "config.schema.yaml"


class ConfigError(ValueError):
    """A study configuration that cannot be run; the message says which key and why."""


@dataclass(frozen=True)
class Geometry:
    """The 2D cross-section of one case, in metres.

    The electrode spans y in [-electrode_thickness, 0] and x in [-L/2, L/2]; the electrolyte
    substrate spans y in [0, substrate_thickness]; each pillar spans
    x in [centre - width/2, centre + width/2], y in [-pillar_height, 0]. ``electrode_solved``:
    the electrode carries an unknown (an intercalation cathode), so its mesh is refined at the
    interface like the electrolyte's.
    """

    electrode_length: float
    electrode_thickness: float
    substrate_thickness: float
    pillar_width: float
    pillar_height: float
    pillar_centres: tuple[float, ...]
    electrode_solved: bool = False

    dimension = 2

    @property
    def pillar_count(self) -> int:
        return len(self.pillar_centres)

    @property
    def interface_length(self) -> float:
        """Electrolyte/electrode interface: substrate underside plus two sides per pillar."""
        return self.electrode_length + 2 * self.pillar_count * self.pillar_height

    @property
    def electrolyte_area(self) -> float:
        return (
            self.electrode_length * self.substrate_thickness
            + self.pillar_count * self.pillar_width * self.pillar_height
        )

    @property
    def electrode_area(self) -> float:
        return (
            self.electrode_length * self.electrode_thickness
            - self.pillar_count * self.pillar_width * self.pillar_height
        )

    def as_params(self) -> dict:
        """Plain values for a Snakemake ``params`` entry (reruns follow their changes)."""
        params = asdict(self)
        params["pillar_centres"] = list(self.pillar_centres)
        return params

    @classmethod
    def from_params(cls, params: Mapping) -> Geometry:
        return cls(**{**params, "pillar_centres": tuple(params["pillar_centres"])})

    @functools.cached_property
    def key(self) -> str:
        """Name of this geometry's directory of results: cases with equal geometries share it,
        and so share its geometry and mesh jobs (a physics sweep does not remesh)."""
        return "g" + fingerprint(self.as_params())[:10]


@dataclass(frozen=True)
class UnitCell:
    """The periodic unit cell of a 3D array of cylindrical pillars, in metres, reduced by the
    array's mirror planes to a rectangular block whose side faces are all mirror planes
    (insulating, no flux):

    - square lattice (pitch p): x, y in [0, p/2], a quarter pillar at the origin;
    - hexagonal lattice (nearest-neighbour distance p): x in [0, p/2], y in [0, p sqrt(3)/2],
      quarter pillars at the origin and at (p/2, p sqrt(3)/2).

    The electrode spans z in [-electrode_thickness, 0], the substrate z in [0, substrate_thickness]
    (its top face carries the applied current), each pillar z in [-pillar_height, 0]. A pillar
    height of 0 leaves a planar film, which is 1D.
    """

    lattice: str
    pillar_diameter: float
    pillar_pitch: float
    pillar_height: float
    substrate_thickness: float
    electrode_thickness: float

    dimension = 3
    electrode_solved = False
    """3D cells solve the anode study only (the electrode is not an unknown)."""

    @property
    def cell_size(self) -> tuple[float, float]:
        """Extent (x, y) of the reduced cell."""
        height_factor = 1.0 if self.lattice == "square" else math.sqrt(3)
        return self.pillar_pitch / 2, height_factor * self.pillar_pitch / 2

    @property
    def pillar_centres(self) -> tuple[tuple[float, float], ...]:
        """(x, y) of the pillar axes on the cell's corners (each pillar a quarter in the cell)."""
        width, depth = self.cell_size
        return ((0.0, 0.0),) if self.lattice == "square" else ((0.0, 0.0), (width, depth))

    @property
    def cell_area(self) -> float:
        width, depth = self.cell_size
        return width * depth

    @property
    def pillar_area(self) -> float:
        """Pillar cross-section inside the cell (quarter discs)."""
        return len(self.pillar_centres) * math.pi * self.pillar_diameter**2 / 16

    @property
    def interface_area(self) -> float:
        """Electrolyte/electrode interface in the cell: substrate underside outside the pillars,
        pillar mantles (quarter cylinders) and pillar end faces."""
        mantles = len(self.pillar_centres) * math.pi * self.pillar_diameter / 4 * self.pillar_height
        return self.cell_area + (mantles if self.pillar_height > 0 else 0.0)

    @property
    def electrolyte_volume(self) -> float:
        return self.cell_area * self.substrate_thickness + self.pillar_area * self.pillar_height

    def as_params(self) -> dict:
        return {"dimension": 3, **asdict(self)}

    @classmethod
    def from_params(cls, params: Mapping) -> UnitCell:
        return cls(**{key: value for key, value in params.items() if key != "dimension"})

    @functools.cached_property
    def key(self) -> str:
        return "g" + fingerprint(self.as_params())[:10]


@dataclass(frozen=True)
class Case:
    """One geometry and its physics, named for use as the ``case`` wildcard."""

    name: str
    design: str
    study: str
    geometry: Geometry
    physics: Physics
    cathode: Cathode | None = None
    """The cathode's material in a cathode study; None in an anode study."""
    pillar_pitch: float | None = None
    base: str = ""
    """The design a sweep case varies (``design:`` of its sweep) when that design's own case is a
    point of the sweep (the sweep changes nothing else); empty otherwise."""


@dataclass(frozen=True)
class LadderSettings:
    """What one level of a mesh ladder depends on: level-0 element sizes (m), divided by
    ``refinement_ratio**level``. The number of levels is not part of it, so adding a level
    leaves the existing ones untouched."""

    refinement_ratio: float

    def as_params(self) -> dict:
        return asdict(self)

    def size_factor(self, level: int) -> float:
        """Factor on every level-0 size at ``level``."""
        return self.refinement_ratio ** (-level)


@dataclass(frozen=True)
class MeshSettings(LadderSettings):
    """The 2D ladder (config ``mesh``)."""

    electrolyte_size: float
    interface_size: float
    corner_size: float
    corner_radius: float
    electrode_size: float
    grading_distance: float
    boundary_layer_first: float
    boundary_layer_ratio: float
    boundary_layer_thickness: float

    @classmethod
    def from_config(cls, config: Mapping) -> MeshSettings:
        mesh = config["mesh"]
        return cls(
            refinement_ratio=mesh["refinement_ratio"],
            boundary_layer_ratio=mesh["boundary_layer_ratio"],
            **{key.removesuffix("_um"): mesh[key] * UM for key in mesh if key.endswith("_um")},
        )


@dataclass(frozen=True)
class CellMeshSettings(LadderSettings):
    """The ladder of 3D unit cells (config ``mesh/cell``): tetrahedron sizes, on the 2D ladder's
    ratio, fine at the interface and finest at the pillar rims (where the mantle meets the
    substrate underside or the end face)."""

    electrolyte_size: float
    interface_size: float
    rim_size: float
    rim_radius: float
    electrode_size: float
    grading_distance: float

    @classmethod
    def from_config(cls, config: Mapping) -> CellMeshSettings:
        cell = config["mesh"]["cell"]
        return cls(
            refinement_ratio=config["mesh"]["refinement_ratio"],
            **{key.removesuffix("_um"): cell[key] * UM for key in cell},
        )


@dataclass(frozen=True)
class SolverSettings:
    """Numerical settings of a solve (times in s); config keys in ``solver``. ``newton_rtol``
    bounds the scaled Newton update (c by c0, phi by max(|phi|, RT/F)) of the initial and
    stationary states and of the bdf2 integrator; ``time_rtol`` is the relative time error the
    results may have (``integrator`` bdf; for bdf2 the local error of c per step relative to c0);
    after ``max_step_failures`` Newton failures in a row, or a step below ``min_step``, a
    transient case ends as diverged."""

    mode: str
    newton_rtol: float
    newton_max_iterations: int
    time_rtol: float
    end_time: float
    initial_step: float
    depletion_fraction: float
    integrator: str = "bdf"
    min_step: float = 1e-12
    max_step_failures: int = 12

    def as_params(self) -> dict:
        return asdict(self)

    @classmethod
    def from_config(cls, config: Mapping) -> SolverSettings:
        solver = config["solver"]
        return cls(
            mode=solver["mode"],
            newton_rtol=solver["newton_rtol"],
            newton_max_iterations=solver["newton_max_iterations"],
            time_rtol=solver["time_rtol"],
            end_time=solver["end_time_s"],
            initial_step=solver["initial_step_s"],
            depletion_fraction=solver["depletion_fraction"],
            integrator=solver["integrator"],
        )


def report_times(config: Mapping) -> list[float]:
    """The report times shared by every case, s: the configured list, or log-spaced."""
    solver = config["solver"]
    if "report_times_s" in solver:
        return sorted(set(solver["report_times_s"]))
    return np.geomspace(solver["report_first_s"], solver["end_time_s"], solver["report_count"]).tolist()


def _check_mesh(config: Mapping) -> None:
    mesh = config["mesh"]
    if mesh["boundary_layer_thickness_um"] > mesh["corner_size_um"]:
        raise ConfigError(
            f"config key mesh/boundary_layer_thickness_um: {_format(mesh['boundary_layer_thickness_um'])} must not "
            f"exceed corner_size_um = {_format(mesh['corner_size_um'])} (gmsh cannot fit a layer thicker than "
            "the corner elements)"
        )
    if mesh["boundary_layer_first_um"] >= mesh["boundary_layer_thickness_um"]:
        raise ConfigError(
            f"config key mesh/boundary_layer_first_um: {_format(mesh['boundary_layer_first_um'])} must be less than "
            f"boundary_layer_thickness_um = {_format(mesh['boundary_layer_thickness_um'])}"
        )


def _check_solver(config: Mapping) -> None:
    solver = config["solver"]
    end = solver["end_time_s"]
    late = [t for t in solver.get("report_times_s", []) if t > end]
    if late:
        raise ConfigError(
            f"config key solver/report_times_s: {_format(max(late))} s is after end_time_s = {_format(end)} s"
        )
    if "report_times_s" not in solver and solver["report_first_s"] >= end:
        raise ConfigError(
            f"config key solver/report_first_s: {_format(solver['report_first_s'])} s must be before end_time_s "
            f"= {_format(end)} s"
        )
    if solver["initial_step_s"] >= end:
        raise ConfigError(
            f"config key solver/initial_step_s: {_format(solver['initial_step_s'])} s must be shorter than "
            f"end_time_s = {_format(end)} s"
        )


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML loader that refuses a mapping naming a key twice (plain PyYAML keeps the last one,
    so a second design with the same name would silently replace the first)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                mark = key_node.start_mark
                raise ConfigError(f"{mark.name}, line {mark.line + 1}: key '{key}' appears twice in one block")
            seen.add(key)
        return super().construct_mapping(node, deep)


def read_yaml(path: str | Path) -> dict:
    """A YAML config file as a dict, refusing duplicate keys."""
    with open(path) as stream:
        return yaml.load(stream, Loader=_UniqueKeyLoader) or {}


def load_config(path: str | Path) -> dict:
    """Read a YAML config file and validate it against the schema (filling defaults)."""
    config = read_yaml(path)
    validate_config(config)
    return config


def validate_config(config: dict) -> None:
    """Validate ``config`` in place against the schema, filling in defaults.

    Uses ``snakemake.utils.validate`` (what the workflow runs at start) and turns its
    multi-line report into one line naming the key.
    """
    from jsonschema import ValidationError
    from snakemake.exceptions import WorkflowError
    from snakemake.utils import validate

    for key_path, value in _numbers(config):
        if isinstance(value, str):
            raise ConfigError(
                f"config key {key_path}: '{value}' is read as text (YAML needs a decimal point in "
                f"exponent notation): write {float(value):.1e}"
            )
        if not math.isfinite(value):
            raise ConfigError(f"config key {key_path}: {value} is not a finite number")
    try:
        validate(config, str(SCHEMA_PATH), set_default=True)
    except WorkflowError as error:
        cause = error.__cause__ or error.__context__
        if not isinstance(cause, ValidationError):
            raise
        key_path = "/".join(str(part) for part in cause.absolute_path) or "(top level)"
        raise ConfigError(f"config key {key_path}: {cause.message}") from None


def _numbers(node, key_path: str = "") -> Iterator[tuple[str, float]]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield from _numbers(value, f"{key_path}/{key}" if key_path else str(key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _numbers(value, f"{key_path}[{index}]")
    elif isinstance(node, float) or (isinstance(node, str) and _looks_like_number(node)):
        yield key_path, node


def _looks_like_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return any(character.isdigit() for character in text)


RESERVED_NAMES = frozenset({"geometries", "logs", "plots", "benchmarks", "bench"})
"""Folders of results/ that a case's folder results/<case> must not collide with."""


def cases_from_config(config: Mapping) -> dict[str, Case]:
    """All enabled cases of a validated config, by name, each with a checked geometry and physics."""
    _check_mesh(config)
    _check_solver(config)
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
            cell = _cell(
                name,
                domain,
                design["lattice"],
                design["pillar_diameter_um"],
                design["pillar_pitch_um"],
                design["pillar_height_um"],
                study,
                _smallest_cell_feature(config),
            )
            yield Case(
                name=name,
                design=name,
                study=study,
                geometry=cell,
                physics=_physics(name, config["physics"], design.get("physics", {})),
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
        _check_pillars(name, domain, width, height, centres)
        physics = _overridden(config["physics"], design.get("physics", {}))
        yield Case(
            name=name,
            design=name,
            study=study,
            geometry=_geometry_si(domain, width, height, centres, study),
            physics=_physics(name, config["physics"], design.get("physics", {})),
            cathode=_cathode(name, physics) if study == "cathode" else None,
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
    sweep: str
    name: str
    domain: Mapping
    width: float
    pitch: float | None
    height: float
    count: int
    centres: list[float]
    physics: Mapping
    """The point's physics overrides: the base's, the sweep's, then the point's own values."""
    diameter = math.nan

    def check(self) -> None:
        if self.count == 0 and self.pitch is not None:
            raise ConfigError(
                f"sweep '{self.sweep}': pillar_pitch_um = {_format(self.pitch)} is longer than "
                f"electrode_length_um = {_format(self.domain['electrode_length_um'])}, so 'fill' places no pillar"
            )
        _check_pillars(self.name, self.domain, self.width, self.height, self.centres, pitch=self.pitch)

    def geometry(self, study: str) -> Geometry:
        return _geometry_si(self.domain, self.width, self.height, self.centres, study)

    @property
    def pillar_pitch(self) -> float | None:
        return None if self.pitch is None else self.pitch * UM


@dataclass(frozen=True)
class _CellSweepPoint:
    """A point of a 3D sweep (values in um)."""

    sweep: str
    name: str
    domain: Mapping
    lattice: str
    diameter: float
    pitch: float
    height: float
    physics: Mapping
    smallest: float
    """The smallest element the 3D mesh places (mesh/cell/rim_size_um)."""
    width = math.nan
    count = math.nan

    def geometry(self, study: str) -> UnitCell:
        return _cell(self.name, self.domain, self.lattice, self.diameter, self.pitch, self.height, study, self.smallest)

    def check(self) -> None:
        self.geometry("anode")

    @property
    def pillar_pitch(self) -> float:
        return self.pitch * UM


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


def _sweep_points(config: Mapping, sweep_name: str) -> Iterator[_SweepPoint | _CellSweepPoint]:
    if sweep_dimension(config, sweep_name) == 3:
        yield from _cell_sweep_points(config, sweep_name)
        return
    sweep = config["sweeps"][sweep_name]
    for key in ("lattice", "pillar_diameter_um"):
        if any(key in entry for entry in [sweep, *sweep.get("points", [])]):
            raise ConfigError(f"sweep '{sweep_name}': {key} describes 3D unit cells; set dimension: 3")
    base = _sweep_base(config, sweep_name)
    for values in _sweep_values(config, sweep_name):
        domain = _domain(config, {**base.get("geometry", {}), **sweep.get("geometry", {})})
        if "substrate_thickness_um" in values:
            domain["substrate_thickness_um"] = values["substrate_thickness_um"]
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
        tags = [axis for axis in SWEEP_AXES if axis.key in values]
        name = "_".join([sweep_name, *(f"{axis.tag}{_slug(values[axis.key])}" for axis in tags)])
        axes = {axis.key: values[axis.key] for axis in SWEEP_AXES if not axis.geometric and axis.key in values}
        physics = _overridden(_overridden(base.get("physics", {}), sweep.get("physics", {})), axes)
        yield _SweepPoint(sweep_name, name, domain, width, pitch, height, count, centres, physics)


CELL_AXES = ("pillar_diameter_um", "pillar_pitch_um", "pillar_height_um")
"""What every point of a 3D sweep needs, from the sweep or its design."""


def _cell_sweep_points(config: Mapping, sweep_name: str) -> Iterator[_CellSweepPoint]:
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
        raise ConfigError(f"sweep '{sweep_name}': a 3D sweep needs lattice: square or hexagonal")
    for values in _sweep_values(config, sweep_name):
        domain = _domain(config, {**base.get("geometry", {}), **sweep.get("geometry", {})})
        if "substrate_thickness_um" in values:
            domain["substrate_thickness_um"] = values["substrate_thickness_um"]
        cell = {key: values.get(key, base.get(key)) for key in CELL_AXES}
        missing = [key for key, value in cell.items() if value is None]
        if missing:
            raise ConfigError(
                f"sweep '{sweep_name}': a 3D cell needs {', '.join(missing)} at every point (from the sweep or "
                "its design)"
            )
        tags = [axis for axis in SWEEP_AXES if axis.key in values]
        name = "_".join([sweep_name, *(f"{axis.tag}{_slug(values[axis.key])}" for axis in tags)])
        axes = {axis.key: values[axis.key] for axis in SWEEP_AXES if not axis.geometric and axis.key in values}
        physics = _overridden(_overridden(base.get("physics", {}), sweep.get("physics", {})), axes)
        yield _CellSweepPoint(
            sweep_name,
            name,
            domain,
            lattice,
            *(cell[key] for key in CELL_AXES),
            physics,
            _smallest_cell_feature(config),
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
        for point in _sweep_points(config, sweep_name):
            try:
                point.check()
            except ConfigError:
                if sweep["invalid_points"] == "skip":
                    continue
                raise
            key = repr(sorted(point.physics.items()))
            where = f"sweep '{sweep_name}' (case '{point.name}')"
            if key not in physics_of:
                physics_of[key] = _physics(where, config["physics"], point.physics)
            yield Case(
                name=point.name,
                design=sweep_name,
                study=study,
                geometry=point.geometry(study),
                physics=physics_of[key],
                cathode=_cathode(where, _overridden(config["physics"], point.physics)) if study == "cathode" else None,
                pillar_pitch=point.pillar_pitch,
                base=sweep.get("design", "") if not {"physics", "geometry"} & set(sweep) else "",
            )


def invalid_cases(config: Mapping) -> list[InvalidCase]:
    """The sweep points left out by ``invalid_points: skip``, each with the reason (SI values)."""
    invalid = []
    for sweep_name in enabled_sweeps(config):
        if config["sweeps"][sweep_name]["invalid_points"] != "skip":
            continue
        for point in _sweep_points(config, sweep_name):
            try:
                point.check()
            except ConfigError as error:
                invalid.append(
                    InvalidCase(
                        name=point.name,
                        design=sweep_name,
                        reason=str(error),
                        pillar_width=point.width * UM,
                        pillar_pitch=math.nan if point.pillar_pitch is None else point.pillar_pitch,
                        pillar_height=point.height * UM,
                        pillar_count=point.count,
                        pillar_diameter=point.diameter * UM,
                    )
                )
    return invalid


ALTERNATIVES = {
    "diffusivity": ("D_plus", "conductivity_S_cm"),
    "exchange current density": ("exchange_current_density_A_m2", "charge_transfer_resistance_ohm"),
}


def _overridden(physics: Mapping, overrides: Mapping) -> dict:
    """``physics`` with ``overrides`` on top; an override of one of two alternative sources of a
    quantity (D_plus or conductivity_S_cm, say) removes the other."""
    merged = dict(physics)
    for keys in ALTERNATIVES.values():
        if any(key in overrides for key in keys):
            for key in keys:
                merged.pop(key, None)
    merged.update(overrides)
    return merged


def _physics(owner: str, shared: Mapping, overrides: Mapping) -> Physics:
    """The physics of a design or sweep: the shared block with the owner's overrides (an override
    of one of two alternative sources replaces the other), validated and converted to SI."""
    merged = _overridden(shared, overrides)
    where = owner if owner.startswith("sweep") else f"case '{owner}'"
    _validate_physics(where, merged)
    for quantity, keys in ALTERNATIVES.items():
        given = [key for key in keys if key in merged]
        if len(given) != 1:
            problem = "both " + " and ".join(given) + " are set" if given else "none of " + ", ".join(keys) + " is set"
            raise ConfigError(
                f"{where}: the {quantity} needs exactly one of physics/{keys[0]} and physics/{keys[1]}; {problem}"
            )
    c0 = merged["c0_mol_L"] * MOL_L
    temperature = merged["temperature_K"]
    if "D_plus" in merged:
        D_plus = merged["D_plus"] * (CM2_S if merged["D_unit"] == "cm2/s" else 1.0)
    else:
        D_plus = diffusivity_from_conductivity(merged["conductivity_S_cm"] * S_CM, merged["t_plus"], c0, temperature)
    if "exchange_current_density_A_m2" in merged:
        i0 = merged["exchange_current_density_A_m2"]
    else:
        i0 = exchange_current_from_charge_transfer_resistance(
            merged["charge_transfer_resistance_ohm"],
            merged["electrode_area_cm2"] * CM2,
            temperature,
            merged["alpha_a"],
            merged["alpha_c"],
        )
    return Physics(
        D_plus=D_plus,
        t_plus=merged["t_plus"],
        c0=c0,
        temperature=temperature,
        exchange_current_density=i0,
        alpha_a=merged["alpha_a"],
        alpha_c=merged["alpha_c"],
        current_density=merged["current_density_mA_cm2"] * MA_CM2,
    )


def _cathode(where: str, physics: Mapping) -> Cathode:
    """The cathode material of a cathode case from its merged physics block, in SI."""
    table = physics.get("ocv_table", {"lithiation": [], "U_eq_V": []})
    lithiation, voltage = table["lithiation"], table["U_eq_V"]
    if len(lithiation) != len(voltage):
        raise ConfigError(
            f"{where}: physics/ocv_table has {len(lithiation)} lithiation values but {len(voltage)} U_eq_V values"
        )
    if any(right <= left for left, right in itertools.pairwise(lithiation)):
        raise ConfigError(f"{where}: physics/ocv_table/lithiation must increase strictly, got {lithiation}")
    initial, saturation = physics["cathode_initial_lithiation"], physics["saturation_lithiation"]
    for key, reason in (
        ("saturation_lithiation", "the case would stop at once"),
        ("lithiated_threshold", "all of the cathode would count as lithiated from the start"),
    ):
        if physics[key] <= initial:
            raise ConfigError(
                f"{where}: physics/{key} = {_format(physics[key])} must exceed "
                f"cathode_initial_lithiation = {_format(initial)} ({reason})"
            )
    return Cathode(
        diffusivity=physics["D_cathode_cm2_s"] * CM2_S,
        max_concentration=physics["cathode_max_concentration_mol_L"] * MOL_L,
        initial_lithiation=initial,
        U_eq=physics["U_eq_V"],
        ocv_lithiation=tuple(lithiation),
        ocv_voltage=tuple(voltage),
        saturation_lithiation=saturation,
        lithiated_threshold=physics["lithiated_threshold"],
    )


@functools.cache
def _physics_validator():
    """Validator of the shared physics block, read once (it checks every case of a sweep)."""
    import jsonschema

    return jsonschema.Draft202012Validator(read_yaml(SCHEMA_PATH)["properties"]["physics"])


def _validate_physics(where: str, physics: Mapping) -> None:
    """Check merged physics values against the schema of the shared block (overrides are only
    checked for their key names by the schema itself)."""
    import jsonschema

    error = jsonschema.exceptions.best_match(_physics_validator().iter_errors(dict(physics)))
    if error is not None:
        key = "/".join(str(part) for part in error.absolute_path)
        raise ConfigError(f"{where}: physics/{key}: {error.message}")


def _geometry_si(domain: Mapping, width: float, height: float, centres: list[float], study: str) -> Geometry:
    return Geometry(
        electrode_length=domain["electrode_length_um"] * UM,
        electrode_thickness=domain["electrode_thickness_um"] * UM,
        substrate_thickness=domain["substrate_thickness_um"] * UM,
        pillar_width=width * UM,
        pillar_height=height * UM,
        pillar_centres=tuple(centre * UM for centre in centres),
        electrode_solved=study == "cathode",
    )


def _smallest_cell_feature(config: Mapping) -> float:
    return config["mesh"]["cell"]["rim_size_um"]


def _refuse_electrode_length(where: str, entry: Mapping) -> None:
    if "electrode_length_um" in entry.get("geometry", {}):
        raise ConfigError(
            f"{where}: geometry/electrode_length_um does not apply to a 3D unit cell (its size follows from the pitch)"
        )


def _cell(
    case: str, domain: Mapping, lattice: str, diameter: float, pitch: float, height: float, study: str, smallest: float
) -> UnitCell:
    """A checked 3D unit cell from the config's values (um); ``smallest`` is the smallest element
    the mesh places (at the pillar rims), which a pillar and the gap between pillars must exceed."""
    if study != "anode":
        raise ConfigError(f"case '{case}': a 3D unit cell (dimension: 3) solves the anode study only; set study: anode")
    if diameter >= pitch:
        raise ConfigError(
            f"case '{case}': pillar_diameter_um = {_format(diameter)} must be less than pillar_pitch_um = "
            f"{_format(pitch)} (neighbouring pillars would overlap or touch)"
        )
    if height > 0 and min(diameter, pitch - diameter) < smallest:
        raise ConfigError(
            f"case '{case}': pillar_diameter_um = {_format(diameter)} at pillar_pitch_um = {_format(pitch)} "
            "leaves a pillar "
            f"or a gap between pillars narrower than mesh/cell/rim_size_um = {_format(smallest)}, the smallest element "
            "the 3D mesh places; the cell cannot be meshed faithfully"
        )
    _check_height(case, height, domain["electrode_thickness_um"])
    return UnitCell(
        lattice=lattice,
        pillar_diameter=diameter * UM,
        pillar_pitch=pitch * UM,
        pillar_height=height * UM,
        substrate_thickness=domain["substrate_thickness_um"] * UM,
        electrode_thickness=domain["electrode_thickness_um"] * UM,
    )


def _check_pillars(
    case: str, domain: Mapping, width: float, height: float, centres: list[float], pitch: float | None = None
) -> None:
    """Reject pillars that overlap, leave the domain or cut through the electrode (all in um)."""
    if not centres:
        return
    _check_height(case, height, domain["electrode_thickness_um"])
    ordered = sorted(centres)
    for left, right in itertools.pairwise(ordered):
        if right - left <= width:
            where = (
                f"pillar_pitch_um = {_format(pitch)}"
                if pitch is not None
                else f"pillars at {_format(left)} and {_format(right)} (centre distance {_format(right - left)})"
            )
            raise ConfigError(
                f"case '{case}': {where} with pillar_width_um = {_format(width)} makes pillars "
                "overlap or touch; the centre distance must exceed the width"
            )
    half_length = domain["electrode_length_um"] / 2
    for index, centre in enumerate(centres):
        if abs(centre) + width / 2 >= half_length:
            raise ConfigError(
                f"case '{case}': pillar_centres_um[{index}] = {_format(centre)} with pillar_width_um = "
                f"{_format(width)} reaches or leaves the domain side at +-{_format(half_length)} "
                "(electrode_length_um / 2)"
            )


def _check_height(case: str, height: float, thickness: float) -> None:
    if height >= thickness:
        raise ConfigError(
            f"case '{case}': pillar_height_um = {_format(height)} must be less than "
            f"electrode_thickness_um = {_format(thickness)} (the pillar would cut through the electrode)"
        )


def _format(value: float) -> str:
    return f"{value:.10g}"


def _slug(value: float) -> str:
    """Number for a case name, to 12 significant digits: 100 -> '100', 37.5 -> '37p5',
    6.6e-10 -> '6p6e-10'."""
    return f"{value:.12g}".replace(".", "p").replace("+", "")
