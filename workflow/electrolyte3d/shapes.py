"""The shapes a case is solved on, in metres: the 2D cross-section of a ridge array
(:class:`CrossSection`) and the 3D unit cell of a cylindrical pillar array (:class:`UnitCell`).

Both answer the same questions, so the rules, scripts, datasets and plots ask the shape instead of
branching on its dimension: how it is built and meshed in gmsh (:meth:`build`, :meth:`mesh`, imported
only when called, so this module needs no gmsh), which ladder settings mesh it (``settings_type``), what its elements
are called (``element_noun``), how it is labelled in the study (:meth:`descriptors`), what a mesh
level costs (:meth:`estimated_elements` and ``budget``), and whether the values it was given can
be meshed at all (:meth:`check`, before any job runs).
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import ClassVar

import numpy as np

from electrolyte3d.errors import ConfigError, shown
from electrolyte3d.io import fingerprint
from electrolyte3d.parameters import UM, Cathode, Physics
from electrolyte3d.resolution import Resolution
from electrolyte3d.settings import LadderSettings, MeshSettings, UnitCellMeshSettings

ELEMENT_NOUNS = {1: "segments", 2: "triangles", 3: "tetrahedra"}
"""What a mesh's elements are called, by its dimension (the key of their count in mesh reports)."""


def element_count(attrs: Mapping) -> int:
    """The element count recorded in a mesh report or result's attributes, triangles or tetrahedra."""
    return attrs[ELEMENT_NOUNS[attrs.get("dimension", 2)]]


@dataclass(frozen=True)
class Budget:
    """What a job asks a cluster for, per estimated element of its level (:meth:`estimated_elements`):
    ``mesh_s`` and ``solve_s`` seconds of wall, ``mesh_mb`` and ``solve_mb`` megabytes of memory,
    each on top of a fixed 5 min or 500 MB (README, "Performance", has what was measured)."""

    mesh_s: float
    solve_s: float
    mesh_mb: float
    solve_mb: float


def _um(value: float) -> float:
    """A length in micrometres as the config gave it: rounding to 1e-9 um undoes the conversion's
    round-off, so the checks compare exactly the values the user wrote."""
    return round(value / UM, 9)


def _check_height(case: str, height: float, thickness: float) -> None:
    if height >= thickness:
        raise ConfigError(
            f"case '{case}': pillar_height_um = {shown(height)} must be less than "
            f"electrode_thickness_um = {shown(thickness)} (the pillar would cut through the electrode)"
        )


@dataclass(frozen=True)
class CrossSection:
    """The 2D cross-section of one case, in metres: pillars are ridges of infinite length.

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

    dimension: ClassVar[int] = 2
    element_noun: ClassVar[str] = ELEMENT_NOUNS[2]
    settings_type: ClassVar[type[LadderSettings]] = MeshSettings
    smallest_element_key: ClassVar[str] = "mesh/corner_size_um"
    """The config key of the smallest element the 2D mesh places (at the pillar corners)."""
    resolution_key: ClassVar[str] = "mesh/boundary_layer_first_um"
    """The config key that sets the height of the interface's first element layer."""
    interface_noun: ClassVar[str] = "per unit depth"
    budget: ClassVar[Budget] = Budget(mesh_s=1e-4, solve_s=4e-3, mesh_mb=1e-3, solve_mb=3.5e-3)
    has_field_picture: ClassVar[bool] = True

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
    def from_params(cls, params: Mapping) -> CrossSection:
        return cls(**{**params, "pillar_centres": tuple(params["pillar_centres"])})

    @functools.cached_property
    def key(self) -> str:
        """Name of this shape's directory of results: cases with equal shapes share it, and so
        share its geometry and mesh jobs (a physics sweep does not remesh)."""
        return "g" + fingerprint(self.as_params())[:10]

    def build(self) -> dict[str, list[int]]:
        """The shape in the current gmsh session; the entity tags of each physical group."""
        from electrolyte3d import geometry

        return geometry.build(self)

    def mesh(self, settings: MeshSettings, level: int, electrode_solved: bool) -> tuple[dict, None]:
        """Mesh a level of this section, open in the current gmsh session (triangles); nothing
        to add to the level report, and no lumped masses (the solver's own are right)."""
        from electrolyte3d import mesh

        mesh.generate(settings, level, electrode_solved)
        return {}, None

    def counts(self) -> dict:
        """What the geometry report states besides the measured sizes."""
        return {"pillar_count": self.pillar_count}

    LEVEL0_TRIANGLES: ClassVar[float] = 7.5e4
    """Triangles in the level-0 mesh of the largest paper design (spiral, results/mesh_report.csv)."""
    LEVEL0_INTERFACE_LENGTH: ClassVar[float] = 2.6e-3
    """Its interface length, m: the graded interface and its boundary layer hold most triangles,
    so other sections are estimated in proportion."""
    SMALLEST_SCALE: ClassVar[float] = 0.25
    """The floor of that proportion. The ridge array's unit cell of config/studies/pillars-3d.yaml
    (700 um of interface, a scale of 0.27) has 19,256 triangles on level 0 and 340,436 on level 4
    (estimates 20,200 and 363,000); a floor of 0.5 had doubled them."""

    def estimated_elements(self, settings: MeshSettings, level: int) -> float:
        """Estimated triangles of a level, for the resources a job asks for."""
        scale = max(self.interface_length / self.LEVEL0_INTERFACE_LENGTH, self.SMALLEST_SCALE)
        if self.electrode_solved:
            scale *= 2  # a cathode's boundary layer about doubles the count
        return scale * self.LEVEL0_TRIANGLES * settings.size_factor(level) ** -2

    def descriptors(self, pillar_pitch: float | None) -> dict:
        """The design parameters that label the shape in the study dataset (SI); ``pillar_pitch``
        is the sweep's, else the centres' spacing where it is regular."""
        if pillar_pitch is None:
            gaps = np.diff(self.pillar_centres)
            pillar_pitch = float(gaps[0]) if gaps.size and np.allclose(gaps, gaps[0], rtol=1e-9) else math.nan
        return {
            "dimension": 2,
            "lattice": "",
            "pillar_width": self.pillar_width,
            "pillar_diameter": math.nan,
            "pillar_pitch": pillar_pitch,
            "pillar_height": self.pillar_height,
            "pillar_count": self.pillar_count,
            "substrate_thickness": self.substrate_thickness,
            "electrode_length": self.electrode_length,
            "electrode_thickness": self.electrode_thickness,
        }

    def check(self, case: str, smallest_element: float, pitch: float | None = None) -> None:
        """Refuse pillars that cut through the electrode, overlap, leave the domain, or are (or
        leave gaps) narrower than ``smallest_element``, the smallest element the mesh places."""
        if not self.pillar_centres:
            return
        _check_height(case, _um(self.pillar_height), _um(self.electrode_thickness))
        width = _um(self.pillar_width)
        ordered = sorted(_um(centre) for centre in self.pillar_centres)
        for left, right in itertools.pairwise(ordered):
            if right - left <= width:
                where = (
                    f"pillar_pitch_um = {shown(_um(pitch))}"
                    if pitch is not None
                    else f"pillars at {shown(left)} and {shown(right)} (centre distance {shown(right - left)})"
                )
                raise ConfigError(
                    f"case '{case}': {where} with pillar_width_um = {shown(width)} makes pillars "
                    "overlap or touch; the centre distance must exceed the width"
                )
        half_length = _um(self.electrode_length) / 2
        for index, centre in enumerate(_um(centre) for centre in self.pillar_centres):
            if abs(centre) + width / 2 >= half_length:
                raise ConfigError(
                    f"case '{case}': pillar_centres_um[{index}] = {shown(centre)} with pillar_width_um = "
                    f"{shown(width)} reaches or leaves the domain side at +-{shown(half_length)} "
                    "(electrode_length_um / 2)"
                )
        gap = min((right - left for left, right in itertools.pairwise(ordered)), default=math.inf) - width
        if min(width, gap) < _um(smallest_element):
            narrow = f"pillar_width_um = {shown(width)}" if width <= gap else f"a gap of {shown(gap)} um"
            raise ConfigError(
                f"case '{case}': {narrow} is narrower than {self.smallest_element_key} = "
                f"{shown(_um(smallest_element))}, the smallest element the 2D mesh places; the section cannot "
                "be meshed faithfully"
            )


@dataclass(frozen=True)
class UnitCell:
    """The periodic unit cell of a 3D array of cylindrical pillars, in metres, reduced by the
    array's mirror planes to a prism on the smallest footprint those planes bound, so every side
    face is a mirror plane (insulating, no flux) and the cell holds one sector of one pillar, its
    axis on the z axis:

    - square lattice (pitch p): the triangle (0, 0), (p/2, 0), (p/2, p/2), an eighth of the
      lattice's square, with a 45 degree sector of the pillar;
    - hexagonal lattice (nearest-neighbour distance p): the triangle (0, 0), (p/2, 0),
      (p/2, p / (2 sqrt(3))) between a pillar, the midpoint to its neighbour and the centre of
      three pillars, a twelfth of a pillar's hexagon, with a 30 degree sector;
    - ridge "lattice" (pitch p): the 2D cross-section's ridges as a 3D cell, the rectangle
      x in [0, p/2], y in [0, p/8], half a ridge of width ``pillar_diameter`` (x in [0, d/2],
      every y). Its solution does not vary in y, so it must equal the 2D ridge's: a check of the
      3D ladder against the 2D one (any depth gives the same; p/8 keeps it cheap).

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

    dimension: ClassVar[int] = 3
    element_noun: ClassVar[str] = ELEMENT_NOUNS[3]
    settings_type: ClassVar[type[LadderSettings]] = UnitCellMeshSettings
    smallest_element_key: ClassVar[str] = "mesh/cell/rim_size_um"
    """The config key of the smallest element the 3D mesh places (at the pillar rims)."""
    resolution_key: ClassVar[str] = "mesh/cell/interface_size_um"
    interface_noun: ClassVar[str] = "of the unit cell"
    budget: ClassVar[Budget] = Budget(mesh_s=5e-3, solve_s=4e-2, mesh_mb=2e-2, solve_mb=4e-2)
    has_field_picture: ClassVar[bool] = False
    """A unit cell's fields are for ParaView (level<N>.xdmf), not for a picture."""
    electrode_solved: ClassVar[bool] = False
    """Unit cells solve the anode study only (the electrode is not an unknown)."""

    SECTOR_ANGLES: ClassVar[dict[str, float]] = {"square": math.pi / 4, "hexagonal": math.pi / 6}
    """The angle of the pillar's sector in the cell, from the x axis, by lattice: the angle of
    the footprint's corner at the pillar axis."""

    @property
    def footprint(self) -> tuple[tuple[float, float], ...]:
        """The corners (x, y) of the cell's footprint, counter-clockwise from the pillar axis."""
        half = self.pillar_pitch / 2
        if self.lattice == "ridge":
            depth = self.pillar_pitch / 8
            return ((0.0, 0.0), (half, 0.0), (half, depth), (0.0, depth))
        return ((0.0, 0.0), (half, 0.0), (half, half * math.tan(self.sector_angle)))

    @property
    def sector_angle(self) -> float:
        """The angle of the pillar's sector in the cell (radians; not for the ridge)."""
        return self.SECTOR_ANGLES[self.lattice]

    @property
    def ridge_depth(self) -> float:
        """The ridge cell's extent along the ridge."""
        return self.footprint[2][1]

    @property
    def cell_area(self) -> float:
        x, y = np.array(self.footprint).T
        return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2)

    @property
    def mirror_perimeter(self) -> float:
        """The length of the footprint's boundary: the mirror planes' trace."""
        corners = np.array(self.footprint)
        return float(np.linalg.norm(np.roll(corners, -1, axis=0) - corners, axis=1).sum())

    @property
    def pillar_area(self) -> float:
        """Pillar cross-section inside the cell (a sector of the disc; a ridge's half width x depth)."""
        if self.lattice == "ridge":
            return self.pillar_diameter / 2 * self.ridge_depth
        return self.sector_angle / 2 * (self.pillar_diameter / 2) ** 2

    @property
    def rim_length(self) -> float:
        """Length of the pillar's root rim in the cell (a circular arc; a ridge's edge)."""
        if self.lattice == "ridge":
            return self.ridge_depth
        return self.sector_angle * self.pillar_diameter / 2

    @property
    def interface_area(self) -> float:
        """Electrolyte/electrode interface in the cell: substrate underside outside the pillar,
        the pillar's mantle (a ridge's side) and its end face."""
        return self.cell_area + (self.rim_length * self.pillar_height if self.pillar_height > 0 else 0.0)

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

    def build(self) -> dict[str, list[int]]:
        """The cell in the current gmsh session; the entity tags of each physical group."""
        from electrolyte3d import unit_cell

        return unit_cell.build(self)

    def mesh(self, settings: UnitCellMeshSettings, level: int, electrode_solved: bool) -> tuple[dict, tuple]:
        """Mesh a level of this cell, open in the current gmsh session (tetrahedra, a prism layer
        at the interface; its electrode is never solved, so ``electrode_solved`` changes
        nothing); return what the level report states about the layer, and the electrolyte
        nodes' coordinates and lumped masses (m, m3) for its stored part."""
        from electrolyte3d import mesh, mesh_quality

        layer = mesh.generate_unit_cell(self, settings, level)
        report = {**layer.report(), **mesh_quality.layer_quality(layer.volumes, layer.core_volumes)}
        return report, (layer.lumped_mass_points, layer.lumped_mass)

    def counts(self) -> dict:
        return {"dimension": 3, "lattice": self.lattice}

    LEVEL0_NODES_PER_ROW: ClassVar[float] = 133
    """Electrolyte nodes per prism-layer row on level 0 of the paper's hexagonal cell (100 um
    pillars at a 400 um pitch) on the default ladder: 2,267 nodes, 17 rows
    (`make bench-3d`, results/bench/bench_3d.csv)."""
    INTERFACE_AREA: ClassVar[float] = 1.547e-8
    """Its interface area, m2: other cells are estimated in proportion."""

    def estimated_elements(self, settings: UnitCellMeshSettings, level: int) -> float:
        """Estimated electrolyte nodes of a level, for the resources a job asks for: most are in
        the prism layer, a row of interface nodes (which grow by refinement_ratio**2 per level)
        per row of the layer (which a level adds)."""
        scale = max(self.interface_area / self.INTERFACE_AREA, 0.25)
        rows = len(settings.layer_fractions(level)) - 1
        return scale * self.LEVEL0_NODES_PER_ROW * rows * settings.size_factor(level) ** -2

    def descriptors(self, pillar_pitch: float | None) -> dict:
        return {
            "dimension": 3,
            "lattice": self.lattice,
            "pillar_width": math.nan,
            "pillar_diameter": self.pillar_diameter,
            "pillar_pitch": self.pillar_pitch,
            "pillar_height": self.pillar_height,
            "pillar_count": math.nan,
            "substrate_thickness": self.substrate_thickness,
            "electrode_length": math.nan,
            "electrode_thickness": self.electrode_thickness,
        }

    def check(self, case: str, smallest_element: float, pitch: float | None = None) -> None:
        """Refuse overlapping pillars, a pillar or a gap between pillars narrower than
        ``smallest_element`` (the smallest element the mesh places), and a pillar that cuts
        through the electrode."""
        diameter, pitch_um = _um(self.pillar_diameter), _um(self.pillar_pitch)
        if diameter >= pitch_um:
            raise ConfigError(
                f"case '{case}': pillar_diameter_um = {shown(diameter)} must be less than pillar_pitch_um = "
                f"{shown(pitch_um)} (neighbouring pillars would overlap or touch)"
            )
        if self.pillar_height > 0 and min(diameter, pitch_um - diameter) < _um(smallest_element):
            raise ConfigError(
                f"case '{case}': pillar_diameter_um = {shown(diameter)} at pillar_pitch_um = {shown(pitch_um)} "
                f"leaves a pillar or a gap between pillars narrower than {self.smallest_element_key} = "
                f"{shown(_um(smallest_element))}, the smallest element the 3D mesh places; the cell cannot be "
                "meshed faithfully"
            )
        _check_height(case, _um(self.pillar_height), _um(self.electrode_thickness))

    def check_layer(self, label: str, thickness: float) -> None:
        """Refuse a prism layer (``thickness``, m) that is not under half the substrate thickness,
        the pillar radius (a ridge's half width) and the pillar height: the core it leaves would
        vanish or touch itself. ``label`` names what is checked (a case, a geometry)."""
        pillar = [self.pillar_diameter / 2, self.pillar_height] if self.pillar_height > 0 else []
        room = min([self.substrate_thickness, *pillar])
        radius = "half width" if self.lattice == "ridge" else "radius"
        if thickness >= room / 2:
            raise ConfigError(
                f"{label}: mesh/cell/boundary_layer_thickness_um = {shown(_um(thickness))} must be less than half "
                f"the substrate thickness, the pillar {radius} and the pillar height ({shown(_um(room))} um the "
                "least here)"
            )


Shape = CrossSection | UnitCell
"""A case's shape; both kinds offer the same attributes and methods."""

SHAPES = {shape.dimension: shape for shape in (CrossSection, UnitCell)}
"""The shape kinds by their dimension (a mesh file or result records only its dimension)."""


def shape_from_params(params: Mapping) -> Shape:
    """The shape a rule's ``params`` entry describes (:meth:`as_params` of either kind)."""
    return SHAPES[params.get("dimension", 2)].from_params(params)


@dataclass(frozen=True)
class Case:
    """One shape and its physics, named for use as the ``case`` wildcard."""

    name: str
    design: str
    study: str
    shape: Shape
    physics: Physics
    cathode: Cathode | None = None
    """The cathode's material in a cathode study; None in an anode study."""
    pillar_pitch: float | None = None
    base: str = ""
    """The design a sweep case varies (``design:`` of its sweep) when that design's own case is a
    point of the sweep (the sweep changes nothing else); empty otherwise."""
    resolution: Resolution = Resolution()
    """Its own grid study (a design, and a sweep's point by default), or one level."""

    def descriptors(self) -> dict:
        """The design parameters of the case that label it in the study dataset (SI; plain values
        for a Snakemake ``params`` entry)."""
        labels = {
            "design": self.design,
            "study": self.study,
            "geometry": self.shape.key,
            "base": self.base,
            "resolution": self.resolution.describe(),
        }
        return {**labels, **self.shape.descriptors(self.pillar_pitch)}
