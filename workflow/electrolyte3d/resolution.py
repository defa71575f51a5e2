"""How a case is resolved in space: by its own grid study (``ladder``), or on one mesh level
(``{level: N}``, or ``{from: <case>}``: the production level of a reference case's grid study).
A case on one level borrows its reference's error bars (:mod:`electrolyte3d.borrowed`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from electrolyte3d.errors import ConfigError


@dataclass(frozen=True)
class Resolution:
    """``kind`` is ``ladder`` (own grid study), ``level`` (fixed ``level``) or ``from`` (the
    production level of case ``reference``); ``check_coarser`` also solves one level coarser."""

    kind: str = "ladder"
    level: int | None = None
    reference: str = ""
    check_coarser: bool = False

    @classmethod
    def from_config(cls, where: str, value: str | Mapping) -> Resolution:
        if value == "ladder":
            return cls()
        if "level" in value and "from" in value:
            raise ConfigError(f"{where}: resolution sets both level and from; give one")
        check = bool(value.get("check_coarser", False))
        if "level" in value:
            if check and value["level"] == 0:
                raise ConfigError(f"{where}: resolution check_coarser needs a level above 0 (level: 0 has no coarser)")
            return cls("level", level=int(value["level"]), check_coarser=check)
        return cls("from", reference=str(value["from"]), check_coarser=check)

    @property
    def has_ladder(self) -> bool:
        return self.kind == "ladder"

    def levels(self, production: int) -> list[int]:
        """The levels a case on one level solves: ``production``, and the one below it if checked."""
        return [production - 1, production] if self.check_coarser and production > 0 else [production]

    def describe(self) -> str:
        """The resolution in the config's words, for tables and messages."""
        if self.kind == "ladder":
            return "ladder"
        chosen = f"level {self.level}" if self.kind == "level" else f"from {self.reference}"
        return chosen + (", check_coarser" if self.check_coarser else "")


def check_references(cases: Mapping) -> None:
    """Every ``from`` names a case that runs its own grid study, of the same dimension, and every
    fixed level lies on the ladder."""
    for name, case in cases.items():
        resolution = case.resolution
        if resolution.kind != "from":
            continue
        where = f"sweep '{case.design}' (case '{name}'): resolution from"
        reference = cases.get(resolution.reference)
        if reference is None:
            raise ConfigError(
                f"{where} = '{resolution.reference}' is not a case of the study; name a design or a sweep point "
                "(results/cases.csv lists them)"
            )
        if not reference.resolution.has_ladder:
            raise ConfigError(
                f"{where} = '{resolution.reference}': that case has no grid study of its own "
                f"(resolution {reference.resolution.describe()}); name a case with resolution: ladder"
            )
        if reference.shape.dimension != case.shape.dimension:
            raise ConfigError(
                f"{where} = '{resolution.reference}': a {reference.shape.dimension}D case cannot set the level of "
                f"a {case.shape.dimension}D case (their ladders differ)"
            )


def check_levels(cases: Mapping, max_levels: int) -> None:
    for name, case in cases.items():
        level = case.resolution.level
        if level is not None and level >= max_levels:
            raise ConfigError(
                f"sweep '{case.design}' (case '{name}'): resolution level {level} is beyond the ladder "
                f"(mesh/max_levels = {max_levels}, levels 0 to {max_levels - 1})"
            )
