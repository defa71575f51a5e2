"""The boundary layer of the 3D unit cells: prisms stacked on the interface triangles, on the
electrolyte side, each split into three tetrahedra.

gmsh's BoundaryLayer field is 2D only, so the layer is built here. The unit cell's electrolyte is
fragmented first into a core and the layer around it (:func:`electrolyte3d.unit_cell.add_core`),
``thickness`` thick along every interface face and square at the pillar rims. gmsh meshes the
surfaces. Each interface node is then moved along the exact normals of the interface faces it
lies on (from the OpenCASCADE surfaces, not averaged from the mesh). On a pillar rim it moves along
the sum of the two faces' normals, so it stays ``h`` from both faces at height ``h``; near a
convex rim the nodes lean towards the other face (:func:`_offsets`). The prisms replace gmsh's
mesh of the layer, and gmsh meshes the core and the electrode against them. The layer's nodes
get a sixth of each prism as their lumped mass (:func:`lumped_mass`).

A prism is split by Dompierre et al. (1999), "How to subdivide pyramids, prisms and hexahedra
into tetrahedra": every quadrangle face is cut by the diagonal through its smallest node tag, so
neighbouring prisms share their faces' triangles and the mesh is conforming. No wedge element is
needed (scikit-fem's wedge quadrature was wrong in 12.0.2; README "The prism layer at the 3D
interface").

Nodes on a mirror plane stay on it, since the interface normals there lie in the plane.
"""

from __future__ import annotations

from dataclasses import dataclass

import gmsh
import numpy as np

from electrolyte3d.mesh_files import values_at
from electrolyte3d.simplex import measures

ROTATIONS = np.array(
    [
        [0, 1, 2, 3, 4, 5],
        [1, 2, 0, 4, 5, 3],
        [2, 0, 1, 5, 3, 4],
        [3, 5, 4, 0, 2, 1],
        [4, 3, 5, 1, 0, 2],
        [5, 4, 3, 2, 1, 0],
    ]
)
"""The renumberings of a prism (nodes 0-2 at the bottom, node i + 3 above node i) that bring each
node to position 0 (Dompierre et al., table 2)."""
SPLIT_THROUGH_1_5 = np.array([[0, 1, 2, 5], [0, 1, 5, 4], [0, 4, 5, 3]])
SPLIT_THROUGH_2_4 = np.array([[0, 1, 2, 4], [0, 4, 2, 5], [0, 4, 5, 3]])
ELEMENT_TYPES = {1: 1, 2: 2, 3: 4}
"""gmsh element types by dimension: 2-node line, 3-node triangle, 4-node tetrahedron."""


def split_prisms(prisms: np.ndarray) -> np.ndarray:
    """Three tetrahedra per prism (rows of 6 node tags), cut by Dompierre's rule; (n, 3, 4)."""
    rotated = np.take_along_axis(prisms, ROTATIONS[prisms.argmin(axis=1)], axis=1)
    through_1_5 = np.minimum(rotated[:, 1], rotated[:, 5]) < np.minimum(rotated[:, 2], rotated[:, 4])
    return np.where(through_1_5[:, None, None], rotated[:, SPLIT_THROUGH_1_5], rotated[:, SPLIT_THROUGH_2_4])


def split_quadrangles(quadrangles: np.ndarray) -> np.ndarray:
    """Two triangles per quadrangle (rows of 4 node tags in cyclic order), cut by the diagonal
    through its smallest tag, as :func:`split_prisms` cuts the prisms' faces; (n, 2, 3)."""
    first = quadrangles.argmin(axis=1) % 2
    rows = np.arange(len(quadrangles))[:, None]
    corners = quadrangles[rows, (first[:, None] + np.arange(4)) % 4]
    return np.stack([corners[:, [0, 1, 2]], corners[:, [0, 2, 3]]], axis=1)


@dataclass(frozen=True)
class Layer:
    """A level's layer: its node rows' heights (m), its volumes and the core's (gmsh tags), and
    the lumped mass of every electrolyte node (m3) with the node's coordinates (m)."""

    heights: np.ndarray
    volumes: list[int]
    core_volumes: list[int]
    lumped_mass_points: np.ndarray
    lumped_mass: np.ndarray

    @property
    def first_height(self) -> float:
        return float(self.heights[1])

    @property
    def count(self) -> int:
        return len(self.heights) - 1

    def report(self) -> dict:
        """What a level report states about the layer (lengths in m)."""
        return {
            "boundary_layer_first_m": self.first_height,
            "boundary_layer_layers": self.count,
            "boundary_layer_thickness_m": float(self.heights[-1]),
            "boundary_layer_last_m": float(self.heights[-1] - self.heights[-2]),
        }


def add(interface: list[int], layer_volumes: list[int], row_fractions: np.ndarray, thickness: float):
    """Replace gmsh's surface mesh of the layer volumes (what the electrolyte's fragmenting by
    its core left along the ``interface`` faces, ``thickness`` thick, gmsh units) by the prism
    layer, and clear what the core and the layer share, so that meshing the model again fills
    the core and the electrode against it. The model must have a surface mesh. Return the layer
    nodes' coordinates and shares of the prisms' volume (a sixth of each prism a node is a corner
    of; gmsh units), the lumped mass they need (:func:`lumped_mass`); and a function that puts
    the layer's inner nodes and tetrahedra back, after gmsh's optimisers (which cannot be kept
    off a volume) have merged its rows."""
    gmsh.model.occ.synchronize()
    faces = sorted(interface)
    curves = _boundary_entities(2, faces)
    points = _boundary_entities(1, curves)
    source = [(2, tag) for tag in faces] + [(1, tag) for tag in curves] + [(0, tag) for tag in points]

    tags, coordinates, owner = [], [], []
    for index, (dim, tag) in enumerate(source):
        node_tags, node_coordinates, _ = gmsh.model.mesh.getNodes(dim, tag)
        tags.append(node_tags.astype(np.int64))
        coordinates.append(node_coordinates.reshape(-1, 3))
        owner.append(np.full(node_tags.size, index))
    tags, coordinates, owner = np.concatenate(tags), np.vstack(coordinates), np.concatenate(owner)
    offsets = _offsets(source, faces, owner, coordinates, layer_volumes, thickness)

    local = np.full(int(tags.max()) + 1, -1)
    local[tags] = np.arange(tags.size)
    rows = coordinates[None] + thickness * row_fractions[:, None, None] * offsets[None]
    source_cells = [_cells(dim, tag, local) for dim, tag in source]
    layer_entities = _layer_entities(source, source_cells, owner, rows, layer_volumes)
    targets = sorted(
        {entity for entity in layer_entities.values() if entity[0] > 0} | _shared_with_core(layer_volumes, set(source))
    )
    # new nodes are numbered after every tag gmsh has given, the cleared ones' too, which it
    # may still hand out
    first_new_tag = int(gmsh.model.mesh.getMaxNodeTag()) + 1
    for dim in (2, 1):  # a curve's mesh can only go once no face uses it
        gmsh.model.mesh.clear([entity for entity in targets if entity[0] == dim])

    row_tags, node_blocks, first_volume_tag = _node_tags(source, owner, rows, layer_entities, tags, first_new_tag)

    def add_nodes(in_volume: bool) -> None:
        for (dim, tag), (node_tags, node_coordinates) in node_blocks.items():
            if (dim == 3) == in_volume:
                parameters = gmsh.model.getParametrization(dim, tag, node_coordinates.ravel()) if dim < 3 else []
                gmsh.model.mesh.addNodes(
                    dim, tag, node_tags.tolist(), node_coordinates.ravel().tolist(), list(parameters)
                )

    # the layer's surfaces first; meshing the surfaces again then fills the faces that were
    # cleared (it would remove a volume's mesh, and it numbers its new nodes after the largest
    # tag, so the layer's inner nodes are numbered after them); the prisms' tetrahedra last
    add_nodes(in_volume=False)
    _add_elements(_elements(source, source_cells, row_tags, layer_entities, rows, in_volume=False))
    renumber = gmsh.option.getNumber("Mesh.Renumber")
    gmsh.option.setNumber("Mesh.MeshOnlyEmpty", 1)
    gmsh.option.setNumber("Mesh.Renumber", 0)
    try:
        gmsh.model.mesh.generate(2)
    finally:
        gmsh.option.setNumber("Mesh.MeshOnlyEmpty", 0)
        gmsh.option.setNumber("Mesh.Renumber", renumber)
    shift = int(gmsh.model.mesh.getMaxNodeTag()) + 1 - first_volume_tag
    row_tags[row_tags >= first_volume_tag] += shift
    node_blocks = {
        entity: (node_tags + shift if entity[0] == 3 else node_tags, xyz)
        for entity, (node_tags, xyz) in node_blocks.items()
    }
    volume_elements = _elements(source, source_cells, row_tags, layer_entities, rows, in_volume=True)

    def fill() -> None:
        gmsh.model.mesh.clear([(3, volume) for volume in layer_volumes])
        add_nodes(in_volume=True)
        _add_elements(volume_elements)

    fill()
    return _prism_shares(source, source_cells, row_tags, rows), fill


def _boundary_entities(dim: int, tags: list[int]) -> list[int]:
    return sorted({tag for _, tag in gmsh.model.getBoundary([(dim, t) for t in tags], combined=False, oriented=False)})


BLEND_DISTANCE = 2.0
"""Over this many layer thicknesses from a convex rim, the nodes of either face lean towards
the other face's normal, so that the layer's rows spread over that distance instead of meeting
at the rim."""


def _offsets(source, faces, owner, coordinates, layer_volumes, thickness) -> np.ndarray:
    """Per interface node, where its top row goes over ``thickness``: the normal of its face into
    the layer, or on a rim (two faces) the vector that is 1 along both faces' normals.

    Where the layer is convex (a pillar's tip rim, seen from inside the pillar) the rows would
    converge: the first row on either face would shrink by the thickness and fold over where
    the interface triangles are narrower than it. There a node at distance d from the rim adds
    (1 - d / (2 thickness)) times the other face's normal, so the rows shrink by half at most."""
    orientation = {face: _into_layer(face, layer_volumes, thickness) for face in faces}

    def normals(face: int, nodes: np.ndarray) -> np.ndarray:
        parameters = gmsh.model.getParametrization(2, face, coordinates[nodes].ravel())
        normal = np.asarray(gmsh.model.getNormal(face, parameters)).reshape(-1, 3)
        return orientation[face] * normal / np.linalg.norm(normal, axis=1, keepdims=True)

    offsets = np.zeros_like(coordinates)
    adjacent_faces = [_adjacent_faces(dim, tag, faces) for dim, tag in source]
    for index, (dim, tag) in enumerate(source):
        nodes = np.flatnonzero(owner == index)
        if not nodes.size:
            continue
        adjacent = adjacent_faces[index]
        face_normals = [normals(face, nodes) for face in adjacent]
        if len(face_normals) == 1:
            offsets[nodes] = face_normals[0]
        elif len(face_normals) == 2:
            cosine = np.einsum("ij,ij->i", *face_normals)[:, None]
            offsets[nodes] = (face_normals[0] + face_normals[1]) / (1 + cosine)
        else:
            raise ValueError(
                f"interface entity ({dim}, {tag}) touches {len(face_normals)} interface faces; at most 2 expected"
            )
    for rim, (face, other) in _convex_rims(source, faces, layer_volumes, thickness, normals, owner):
        for near, far in ((face, other), (other, face)):
            on_near_only = [index for index, of in enumerate(adjacent_faces) if near in of and far not in of]
            nodes = np.flatnonzero(np.isin(owner, on_near_only))
            closest, _ = gmsh.model.getClosestPoint(1, rim, coordinates[nodes].ravel())
            distance = np.linalg.norm(coordinates[nodes] - np.asarray(closest).reshape(-1, 3), axis=1)
            blend = np.clip(1 - distance / (BLEND_DISTANCE * thickness), 0, None)
            leaning = np.flatnonzero(blend > 0)
            offsets[nodes[leaning]] += blend[leaning, None] * normals(far, nodes[leaning])
    return offsets


def _convex_rims(source, faces, layer_volumes, thickness, normals, owner):
    """The interface curves between two interface faces where the layer is convex (its wedge
    there is less than flat), with the two faces. At a convex rim a point off the rim along one
    face's normal and against the other's lies outside the layer."""
    for index, (dim, tag) in enumerate(source):
        adjacent = _adjacent_faces(dim, tag, faces) if dim == 1 else []
        nodes = np.flatnonzero(owner == index)[:1]
        if len(adjacent) != 2 or not nodes.size:
            continue
        first, second = (normals(face, nodes)[0] for face in adjacent)
        point = np.asarray(gmsh.model.mesh.getNode(int(gmsh.model.mesh.getNodes(dim, tag)[0][0]))[0])
        probe = point + 0.5 * thickness * (first - second)
        if not any(gmsh.model.isInside(3, volume, probe) for volume in layer_volumes):
            yield tag, tuple(adjacent)


def _adjacent_faces(dim: int, tag: int, faces: list[int]) -> list[int]:
    if dim == 2:
        return [tag]
    upward = {tag} if dim == 1 else set(gmsh.model.getAdjacencies(0, tag)[0])
    adjacent = {face for curve in upward for face in gmsh.model.getAdjacencies(1, curve)[0]}
    return sorted(adjacent & set(faces))


def _into_layer(face: int, layer_volumes: list[int], thickness: float) -> int:
    """+1 if the face's parametric normal points into the layer, -1 if out of it."""
    node_tags, node_coordinates, parameters = gmsh.model.mesh.getNodes(2, face)
    point = node_coordinates[:3]
    normal = np.asarray(gmsh.model.getNormal(face, parameters[:2]))
    probe = point + 0.5 * thickness * normal / np.linalg.norm(normal)
    return 1 if any(gmsh.model.isInside(3, volume, probe) for volume in layer_volumes) else -1


def _cells(dim: int, tag: int, local: np.ndarray) -> np.ndarray:
    """The elements of an interface entity as rows of interface node indices (a point: its node)."""
    if dim == 0:
        return local[gmsh.model.mesh.getNodes(0, tag)[0].astype(np.int64)].reshape(1, 1)
    _, _, element_nodes = gmsh.model.mesh.getElements(dim, tag)
    return local[np.asarray(element_nodes[0], dtype=np.int64).reshape(-1, dim + 1)]


def _layer_entities(source, source_cells, owner, rows, layer_volumes) -> dict[tuple[int, int], tuple[int, int]]:
    """The model entity of each interface entity's column (key (index, 0)) and top row (key
    (index, 1)): found by testing, lowest dimension first, which entity of the layer holds a
    probe: the image of a node inside the entity, which lies on the entity sought, or if it has
    none, of an element's centre, which lies off a curved one by up to the element's sagitta."""
    candidates = _layer_boundary(layer_volumes, set(source))
    thickness = float(np.linalg.norm(rows[-1] - rows[0], axis=1).min())
    found = {}
    for index in range(len(source)):
        inside = np.flatnonzero(owner == index)
        nodes, tolerance = (inside[:1], None) if inside.size else (source_cells[index][0], 0.25 * thickness)
        for key, height in ((0, 0.5), (1, 1.0)):  # halfway up the column, and on top
            probe = (rows[0, nodes] + height * (rows[-1, nodes] - rows[0, nodes])).mean(axis=0)
            found[(index, key)] = _holder(probe, candidates, layer_volumes, tolerance)
    return found


def _layer_boundary(layer_volumes, source) -> dict[int, list[int]]:
    """The layer's entities of dimension 0-2 that are not part of the interface."""
    faces = set(_boundary_entities(3, layer_volumes))
    curves = set(_boundary_entities(2, sorted(faces)))
    points = set(_boundary_entities(1, sorted(curves)))
    interface = {(dim, tag) for dim, tag in source}
    return {
        dim: sorted(tag for tag in tags if (dim, tag) not in interface)
        for dim, tags in ((0, points), (1, curves), (2, faces))
    }


def _holder(
    probe: np.ndarray, candidates: dict[int, list[int]], layer_volumes: list[int], tolerance
) -> tuple[int, int]:
    """The layer entity holding ``probe``, lowest dimension first, within ``tolerance`` (gmsh
    units; None: rounding only)."""
    tolerance = tolerance or 1e-7 * max(1.0, float(np.abs(probe).max()))
    for point in candidates[0]:
        if np.linalg.norm(np.asarray(gmsh.model.getValue(0, point, [])) - probe) < tolerance:
            return (0, point)
    for dim in (1, 2):
        for tag in candidates[dim]:
            low, high = np.split(np.asarray(gmsh.model.getBoundingBox(dim, tag)), 2)
            if np.any(probe < low - tolerance) or np.any(probe > high + tolerance):
                continue
            # the closest point is on the entity's underlying curve or surface, unbounded: the
            # bounding box above tells apart the entities on one line or plane
            closest, _ = gmsh.model.getClosestPoint(dim, tag, probe)
            if np.linalg.norm(np.asarray(closest) - probe) < tolerance:
                return (dim, tag)
    for volume in layer_volumes:
        if gmsh.model.isInside(3, volume, probe):
            return (3, volume)
    raise ValueError(f"no entity of the boundary layer holds the point {probe.tolist()}")


def _shared_with_core(layer_volumes, interface: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """Faces and curves whose mesh must follow the layer's top: every face and curve of the
    layer that is not part of the ``interface`` (dim, tag), and the faces that meet them."""
    touched = {(2, face) for face in _boundary_entities(3, layer_volumes)} - interface
    touched_curves = {(1, curve) for curve in _boundary_entities(2, sorted(tag for _, tag in touched))} - interface
    meeting = {(2, int(face)) for _, curve in touched_curves for face in gmsh.model.getAdjacencies(1, curve)[0]}
    return touched | touched_curves | (meeting - interface)


def _node_tags(source, owner, rows, layer_entities, tags, next_tag: int) -> tuple[np.ndarray, dict, int]:
    """The node tags of every row (rows x interface nodes) and the new nodes by the entity that
    holds them (tags, coordinates). Row 0 is the interface's; a top row landing on a model point
    keeps gmsh's node there."""
    row_tags = np.zeros(rows.shape[:2], dtype=np.int64)
    row_tags[0] = tags
    blocks: dict[tuple[int, int], list] = {}
    ranges = ((0, np.arange(1, len(rows) - 1)), (1, np.array([len(rows) - 1])))
    for in_volume in (False, True):
        first_volume_tag = next_tag
        for index, key, row_range in ((i, k, r) for i in range(len(source)) for k, r in ranges):
            nodes = np.flatnonzero(owner == index)
            if nodes.size == 0 or row_range.size == 0:
                continue
            entity = layer_entities[(index, key)]
            if (entity[0] == 3) != in_volume:
                continue
            if entity[0] == 0:
                existing, _, _ = gmsh.model.mesh.getNodes(*entity)
                row_tags[np.ix_(row_range, nodes)] = int(existing[0])
                continue
            new = np.arange(next_tag, next_tag + row_range.size * nodes.size)
            next_tag += new.size
            row_tags[np.ix_(row_range, nodes)] = new.reshape(row_range.size, nodes.size)
            blocks.setdefault(entity, []).append((new, rows[np.ix_(row_range, nodes)].reshape(-1, 3)))
    merged = {
        entity: (np.concatenate([tags for tags, _ in parts]), np.vstack([xyz for _, xyz in parts]))
        for entity, parts in blocks.items()
    }
    return row_tags, merged, first_volume_tag


def _elements(
    source, source_cells, row_tags, layer_entities, rows, in_volume: bool
) -> dict[tuple[int, int], np.ndarray]:
    """The prisms' tetrahedra in the layer volumes; the triangles of their faces on the mirror
    planes and on the layer's top; the segments of the top's and the columns' edges; by the
    entity that holds them."""
    position = _positions(row_tags, rows)
    elements: dict[tuple[int, int], list[np.ndarray]] = {}
    for index, (dim, _) in enumerate(source):
        column, top = layer_entities[(index, 0)], layer_entities[(index, 1)]
        if dim == 0:
            if column[0] == 1:
                node = source_cells[index][0, 0]
                elements.setdefault(column, []).append(np.stack([row_tags[:-1, node], row_tags[1:, node]], 1))
            continue
        cells = source_cells[index]
        elements.setdefault(top, []).append(row_tags[-1][cells])
        if dim == 2:
            tetrahedra = split_prisms(_prisms(cells, row_tags)).reshape(-1, 4)
            elements.setdefault(column, []).append(_positive(tetrahedra, position))
        elif column[0] == 2:
            quadrangles = np.concatenate(
                [
                    np.stack([below[cells[:, 0]], below[cells[:, 1]], above[cells[:, 1]], above[cells[:, 0]]], 1)
                    for below, above in zip(row_tags[:-1], row_tags[1:], strict=True)
                ]
            )
            elements.setdefault(column, []).append(split_quadrangles(quadrangles).reshape(-1, 3))
    return {entity: np.vstack(blocks) for entity, blocks in elements.items() if (entity[0] == 3) == in_volume}


def _add_elements(elements: dict[tuple[int, int], np.ndarray]) -> None:
    next_tag = int(gmsh.model.mesh.getMaxElementTag()) + 1
    for (dim, tag), nodes in sorted(elements.items()):
        gmsh.model.mesh.addElementsByType(
            tag, ELEMENT_TYPES[dim], list(range(next_tag, next_tag + len(nodes))), nodes.ravel().tolist()
        )
        next_tag += len(nodes)


def _positions(row_tags: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Coordinates of the layer's nodes by node tag."""
    position = np.zeros((int(row_tags.max()) + 1, 3))
    position[row_tags.ravel()] = rows.reshape(-1, 3)
    return position


def _prisms(triangles: np.ndarray, row_tags: np.ndarray) -> np.ndarray:
    """The prisms stacked on interface triangles (rows of interface node indices): node tags,
    the triangle on one row then the same triangle on the next, row after row."""
    return np.concatenate(
        [
            np.hstack([below[triangles], above[triangles]])
            for below, above in zip(row_tags[:-1], row_tags[1:], strict=True)
        ]
    )


def _prism_shares(source, source_cells, row_tags, rows) -> tuple[np.ndarray, np.ndarray]:
    """A sixth of every prism's volume to each of its corners, summed per node; with the nodes'
    coordinates (gmsh renumbers nodes when it meshes)."""
    position = _positions(row_tags, rows)
    prisms = np.concatenate(
        [_prisms(cells, row_tags) for (dim, _), cells in zip(source, source_cells, strict=True) if dim == 2]
    )
    volumes = measures(position[split_prisms(prisms).reshape(-1, 4)]).reshape(-1, 3).sum(axis=1)
    shares = np.bincount(prisms.ravel(), weights=np.repeat(volumes / 6, 6), minlength=position.shape[0])
    corners = np.unique(prisms)
    return position[corners], shares[corners]


def lumped_mass(shares: tuple[np.ndarray, np.ndarray], core_volumes: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Every electrolyte node's lumped mass (gmsh units): its share of the layer's prisms
    (``shares``: coordinates and values, from :func:`add`) plus a quarter of each core
    tetrahedron it is a corner of; with the nodes' coordinates.

    A tetrahedron's quarters would give a prism's corner 1/4, 1/6 or 1/12 of its volume by how
    the prism is split; the interface nodes of a flat film would then store +-50 % apart. A sixth
    per corner is the lumping that keeps a flat layer 1D: the Laplacian of the split prisms
    weighs a node by a third of its triangles' area, whatever the split."""
    node_tags, coordinates, _ = gmsh.model.mesh.getNodes()
    node_tags = node_tags.astype(np.int64)
    position = np.zeros((int(node_tags.max()) + 1, 3))
    position[node_tags] = coordinates.reshape(-1, 3)
    mass = np.zeros(position.shape[0])
    for volume in core_volumes:
        _, tetrahedra = gmsh.model.mesh.getElementsByType(4, volume)
        tetrahedra = tetrahedra.astype(np.int64).reshape(-1, 4)
        quarters = measures(position[tetrahedra]) / 4
        mass += np.bincount(tetrahedra.ravel(), weights=np.repeat(quarters, 4), minlength=mass.size)
    share_points, share_values = shares
    np.add.at(mass, values_at(share_points, position[node_tags], node_tags), share_values)
    stored = np.flatnonzero(mass > 0)
    return position[stored], mass[stored]


def _positive(tetrahedra: np.ndarray, position: np.ndarray) -> np.ndarray:
    """The tetrahedra with their last two nodes swapped where they are negatively oriented."""
    corners = position[tetrahedra]
    negative = np.linalg.det(corners[:, 1:] - corners[:, :1]) < 0
    flipped = tetrahedra.copy()
    flipped[negative] = flipped[negative][:, [0, 1, 3, 2]]
    return flipped
