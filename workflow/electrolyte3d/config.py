"""Read a study configuration: the YAML (refusing repeated keys), the schema (filling its
defaults), the checks that span several keys, and the physics blocks converted to SI.

The config file speaks the paper's units (um, mA/cm2, cm2/s, mol/L); what this module hands out
is in SI. Every check that can fail on user input runs before any job (this module's, the cases'
in :mod:`electrolyte3d.cases` and the shapes' in :mod:`electrolyte3d.shapes`), and fails with a
one-line :class:`ConfigError` naming the case, the key and the value.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Iterator, Mapping
from pathlib import Path

import yaml

from electrolyte3d.errors import ConfigError, shown
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

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "config.schema.yaml"


def check_mesh(config: Mapping) -> None:
    """The 2D ladder's boundary layer fits its corner elements and has room for its layers; so
    does the 3D cells' prism layer."""
    mesh = config["mesh"]
    cell = mesh["cell"]
    if cell["boundary_layer_first_um"] >= cell["boundary_layer_thickness_um"]:
        raise ConfigError(
            f"config key mesh/cell/boundary_layer_first_um: {shown(cell['boundary_layer_first_um'])} must be less "
            f"than boundary_layer_thickness_um = {shown(cell['boundary_layer_thickness_um'])}"
        )
    if mesh["boundary_layer_thickness_um"] > mesh["corner_size_um"]:
        raise ConfigError(
            f"config key mesh/boundary_layer_thickness_um: {shown(mesh['boundary_layer_thickness_um'])} must not "
            f"exceed corner_size_um = {shown(mesh['corner_size_um'])} (gmsh cannot fit a layer thicker than "
            "the corner elements)"
        )
    if mesh["boundary_layer_first_um"] >= mesh["boundary_layer_thickness_um"]:
        raise ConfigError(
            f"config key mesh/boundary_layer_first_um: {shown(mesh['boundary_layer_first_um'])} must be less than "
            f"boundary_layer_thickness_um = {shown(mesh['boundary_layer_thickness_um'])}"
        )


def check_solver(config: Mapping) -> None:
    """The report times and the first step fall inside the simulated time."""
    solver = config["solver"]
    end = solver["end_time_s"]
    late = [t for t in solver.get("report_times_s", []) if t > end]
    if late:
        raise ConfigError(
            f"config key solver/report_times_s: {shown(max(late))} s is after end_time_s = {shown(end)} s"
        )
    if "report_times_s" not in solver and solver["report_first_s"] >= end:
        raise ConfigError(
            f"config key solver/report_first_s: {shown(solver['report_first_s'])} s must be before end_time_s "
            f"= {shown(end)} s"
        )
    if solver["initial_step_s"] >= end:
        raise ConfigError(
            f"config key solver/initial_step_s: {shown(solver['initial_step_s'])} s must be shorter than "
            f"end_time_s = {shown(end)} s"
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
    if "levels" in config.get("mesh", {}):
        raise ConfigError(
            "config key mesh/levels: the ladder is no longer a fixed number of levels; set mesh/max_levels "
            "instead (a grid study starts with 3 levels and adds one at a time until it passes the acceptance "
            "criterion, up to max_levels; config/README.md, mesh)"
        )
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


ALTERNATIVES = {
    "diffusivity": ("D_plus", "conductivity_S_cm"),
    "exchange current density": ("exchange_current_density_A_m2", "charge_transfer_resistance_ohm"),
}


def overridden(physics: Mapping, overrides: Mapping) -> dict:
    """``physics`` with ``overrides`` on top; an override of one of two alternative sources of a
    quantity (D_plus or conductivity_S_cm, say) removes the other."""
    merged = dict(physics)
    for keys in ALTERNATIVES.values():
        if any(key in overrides for key in keys):
            for key in keys:
                merged.pop(key, None)
    merged.update(overrides)
    return merged


def physics_from_config(owner: str, shared: Mapping, overrides: Mapping) -> Physics:
    """The physics of a design or sweep: the shared block with the owner's overrides (an override
    of one of two alternative sources replaces the other), validated and converted to SI."""
    merged = overridden(shared, overrides)
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


def cathode_from_config(where: str, physics: Mapping) -> Cathode:
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
                f"{where}: physics/{key} = {shown(physics[key])} must exceed "
                f"cathode_initial_lithiation = {shown(initial)} ({reason})"
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
