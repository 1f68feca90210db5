"""The exercise pictures: each exercise's start and end drawn side by side as a capsule figure, as PNG.

A :class:`~knee_cv.media.exercise_scenes.Scene` is projected orthographically
and drawn with OpenCV (anti-aliased, at three times the size, then shrunk):
props first, then the body's segments from the farthest to the nearest (the
far side's limbs paler), the moving part in orange and, in the start panel,
a dark arrow along the path the moving joint takes (not red: red means a
flag everywhere in knee_cv, :mod:`knee_cv.palette`); the end panel shows the
moving part's start as a pale ghost. Pictures are made on first use and
kept for the process (:func:`figure_png`); nothing is fetched.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import cast

import cv2
import numpy as np

from knee_cv.media.exercise_scenes import SCENES, Scene
from knee_cv.media.figure_body import SEGMENTS, Point, Pose, blend, skeleton

#: One panel's size in pixels (width, height); a picture is two panels side by side.
PANEL = (360, 270)
_SCALE = 3  # drawn this many times larger, then shrunk: smooth edges
_MARGIN = 0.08  # of a panel's size, around the drawing
_MIN_ARROW = 34.0  # pixels: the shortest arrow drawn

# RGB colours
_BACKGROUND = (255, 255, 255)
_OUTLINE = (45, 52, 64)
_NEAR = (96, 136, 178)
_FAR = (176, 198, 221)
_ACCENT = (235, 125, 35)
_ACCENT_FAR = (246, 190, 140)
_GHOST = (250, 214, 180)
_ARROW = (33, 37, 41)  # the sheet's ink
_FLOOR = (232, 232, 228)
_FLOOR_EDGE = (170, 170, 165)
_PROP = (214, 206, 192)
_PROP_EDGE = (120, 112, 100)
_BAND = (46, 160, 90)

#: Half-thickness of each drawn segment, metres.
_RADIUS = {"neck": 0.04, "thigh": 0.065, "shank": 0.05, "foot": 0.03, "arm": 0.045, "forearm": 0.038}


class _Camera:
    """Orthographic projection from an azimuth and elevation, fitted to a set of world points."""

    def __init__(self, azimuth: float, elevation: float) -> None:
        az, el = np.radians(azimuth), np.radians(elevation)
        self.toward = np.array([np.sin(az) * np.cos(el), np.sin(el), np.cos(az) * np.cos(el)])  # to the camera
        self.right = np.cross([0.0, 1.0, 0.0], self.toward)
        self.right /= np.linalg.norm(self.right)
        self.up = np.cross(self.toward, self.right)
        self.scale, self.offset = 1.0, np.zeros(2)

    def fit(self, points: np.ndarray, size: tuple[int, int]) -> None:
        """Scale and shift so ``points`` (N, 3) fill a panel of ``size`` pixels inside the margin."""
        plane = np.stack([points @ self.right, points @ self.up], -1)
        low, high = plane.min(0), plane.max(0)
        room = np.array(size) * (1 - 2 * _MARGIN)
        self.scale = float(min(room / np.maximum(high - low, 1e-6)))
        centre = (low + high) / 2
        self.offset = np.array(size) / 2 - self.scale * centre * [1.0, -1.0]

    def px(self, point: np.ndarray) -> np.ndarray:
        """Pixel position (x right, y down) of world points (..., 3)."""
        plane = np.stack([point @ self.right, -(point @ self.up)], -1)
        return self.scale * plane + self.offset

    def depth(self, point: np.ndarray) -> float:
        """Nearness to the camera (larger = nearer)."""
        return float(np.asarray(point) @ self.toward)


def _bgr(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    return rgb[2], rgb[1], rgb[0]


def _ipt(p: np.ndarray) -> tuple[int, int]:
    return int(round(p[0] * _SCALE)), int(round(p[1] * _SCALE))


def _capsule(
    img: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    radius_px: float,
    fill: tuple[int, int, int],
    outline: tuple[int, int, int] = _OUTLINE,
) -> None:
    r = max(1, int(round(radius_px * _SCALE)))
    cv2.line(img, _ipt(a), _ipt(b), _bgr(outline), 2 * r + 2 * _SCALE, cv2.LINE_AA)
    cv2.line(img, _ipt(a), _ipt(b), _bgr(fill), 2 * r, cv2.LINE_AA)


def _polygon(img: np.ndarray, points: np.ndarray, fill: tuple[int, int, int], edge: tuple[int, int, int]) -> None:
    pts = np.round(points * _SCALE).astype(np.int32)
    cv2.fillPoly(img, [pts], _bgr(fill), cv2.LINE_AA)
    cv2.polylines(img, [pts], True, _bgr(edge), _SCALE, cv2.LINE_AA)


def _floor_corners(points: np.ndarray) -> np.ndarray:
    low, high = points.min(0) - 0.25, points.max(0) + 0.25
    return np.array([[low[0], 0.0, low[2]], [high[0], 0.0, low[2]], [high[0], 0.0, high[2]], [low[0], 0.0, high[2]]])


def _box_faces(low: Point, high: Point) -> list[tuple[np.ndarray, np.ndarray]]:
    """The six faces of a box as (corners (4, 3), outward normal)."""
    (x0, y0, z0), (x1, y1, z1) = low, high
    c = np.array([[x, y, z] for x in (x0, x1) for y in (y0, y1) for z in (z0, z1)])
    quads = {
        (-1, 0, 0): (0, 1, 3, 2),
        (1, 0, 0): (4, 6, 7, 5),
        (0, -1, 0): (0, 4, 5, 1),
        (0, 1, 0): (2, 3, 7, 6),
        (0, 0, -1): (0, 2, 6, 4),
        (0, 0, 1): (1, 5, 7, 3),
    }
    return [(c[list(q)], np.array(n, dtype=float)) for n, q in quads.items()]


def _props(img: np.ndarray, scene: Scene, cam: _Camera) -> None:
    for box in scene.boxes:
        for corners, normal in _box_faces(box.low, box.high):
            if normal @ cam.toward > 1e-6:
                shade = 0.86 if normal[1] == 0 else 1.0
                _polygon(img, cam.px(corners), cast("tuple[int, int, int]", tuple(int(v * shade) for v in _PROP)), _PROP_EDGE)
    for roller in scene.rollers:
        centre, axis = np.asarray(roller.centre), np.asarray(roller.axis)
        ends = [centre - axis * roller.length / 2, centre + axis * roller.length / 2]
        far, near = sorted(ends, key=cam.depth)
        _capsule(img, cam.px(far), cam.px(near), roller.radius * cam.scale, _PROP, _PROP_EDGE)
        cv2.circle(img, _ipt(cam.px(near)), int(roller.radius * cam.scale * _SCALE), _bgr(_PROP_EDGE), _SCALE, cv2.LINE_AA)


def _side_depths(joints: dict[str, np.ndarray], cam: _Camera) -> dict[str, bool]:
    """Whether the person's ``l`` and ``r`` sides are the far one (drawn paler)."""
    gap = cam.depth(joints["hip_l"]) - cam.depth(joints["hip_r"])
    return {"l": gap < -0.03, "r": gap > 0.03}


def _torso(
    img: np.ndarray, joints: dict[str, np.ndarray], cam: _Camera, fill: tuple[int, int, int], outline: tuple[int, int, int]
) -> None:
    """The trunk: the shoulders-hips quadrilateral with rounded edges, joined to a pelvis-neck capsule."""
    quad = cam.px(np.array([joints[j] for j in ("shoulder_l", "shoulder_r", "hip_r", "hip_l")]))
    hull = cv2.convexHull(np.round(quad * _SCALE).astype(np.int32))
    pelvis, neck = cam.px(joints["pelvis"]), cam.px(joints["neck"])
    edge = int(round(0.06 * cam.scale * _SCALE))
    spine = int(round(0.1 * cam.scale * _SCALE))
    for colour, grow in ((outline, _SCALE), (fill, 0)):
        cv2.fillPoly(img, [hull], _bgr(colour), cv2.LINE_AA)
        cv2.polylines(img, [hull], True, _bgr(colour), 2 * (edge + grow), cv2.LINE_AA)
        cv2.line(img, _ipt(pelvis), _ipt(neck), _bgr(colour), 2 * (spine + grow), cv2.LINE_AA)


def _head(img: np.ndarray, joints: dict[str, np.ndarray], cam: _Camera) -> None:
    """The head, with a dot toward the face when it does not face away."""
    centre, r = cam.px(joints["head"]), 0.11 * cam.scale
    cv2.circle(img, _ipt(centre), int((r + 1) * _SCALE), _bgr(_OUTLINE), -1, cv2.LINE_AA)
    cv2.circle(img, _ipt(centre), int(r * _SCALE), _bgr(_NEAR), -1, cv2.LINE_AA)
    if cam.depth(joints["nose"]) >= cam.depth(joints["head"]) - 0.05:
        nose = cam.px(joints["nose"])
        cv2.circle(img, _ipt(centre + 0.7 * (nose - centre)), int(0.018 * cam.scale * _SCALE), _bgr(_OUTLINE), -1, cv2.LINE_AA)


def _body(img: np.ndarray, joints: dict[str, np.ndarray], cam: _Camera, moving: tuple[str, ...], ghost: bool = False) -> None:
    """The figure's parts from the farthest to the nearest; ``ghost``: only the moving parts, pale, no outline."""
    far = _side_depths(joints, cam)
    outline = _GHOST if ghost else _OUTLINE
    parts: list[tuple[float, Callable[[], None]]] = []
    for name, a, b in SEGMENTS:
        side = name[-1] if name[-2:] in ("_l", "_r") else None
        if ghost and name not in moving:
            continue
        if ghost:
            fill = _GHOST
        elif name in moving:
            fill = _ACCENT_FAR if side and far[side] else _ACCENT
        else:
            fill = _FAR if side and far[side] else _NEAR
        radius = _RADIUS[name[:-2] if side else name] * cam.scale

        def draw(a: str = a, b: str = b, radius: float = radius, fill: tuple[int, int, int] = fill) -> None:
            _capsule(img, cam.px(joints[a]), cam.px(joints[b]), radius, fill, outline)

        parts.append(((cam.depth(joints[a]) + cam.depth(joints[b])) / 2, draw))
    if not ghost or "trunk" in moving:
        fill = _GHOST if ghost else _ACCENT if "trunk" in moving else _NEAR
        parts.append((cam.depth(joints["pelvis"]), lambda: _torso(img, joints, cam, fill, outline)))
    if not ghost:
        parts.append((cam.depth(joints["head"]), lambda: _head(img, joints, cam)))
    for _, paint in sorted(parts, key=lambda part: part[0]):
        paint()


def _band(img: np.ndarray, joints: dict[str, np.ndarray], scene: Scene, cam: _Camera) -> None:
    if scene.band is not None:
        a, b = (cam.px(joints[j]) for j in scene.band)
        cv2.line(img, _ipt(a), _ipt(b), _bgr(_BAND), 4 * _SCALE, cv2.LINE_AA)


def path(scene: Scene, steps: int = 24) -> np.ndarray:
    """World positions (steps, 3) of the scene's moving joint on its way from the start to the end pose."""
    return np.array([skeleton(blend(scene.start, scene.end, t))[scene.follow] for t in np.linspace(0, 1, steps)])


def _arrow(img: np.ndarray, points: np.ndarray) -> None:
    """A dark arrow along ``points`` (N, 2 pixels), with a white halo; its ends kept off the joints.

    A path shorter than :data:`_MIN_ARROW` pixels gets a straight arrow of that length its way.
    """
    shift = points[-1] - points[0]
    if np.linalg.norm(shift) < _MIN_ARROW:
        points = np.array([points[0], points[0] + shift / max(np.linalg.norm(shift), 1e-9) * _MIN_ARROW])
    lengths = np.r_[0.0, np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))]
    total = lengths[-1]
    keep = np.linspace(min(6.0, 0.15 * total), total - min(4.0, 0.1 * total), 30)
    line = np.stack([np.interp(keep, lengths, points[:, i]) for i in range(2)], -1)
    pts = np.round(line * _SCALE).astype(np.int32)
    tip, back = line[-1], line[-1] - (line[-1] - line[-4]) / max(np.linalg.norm(line[-1] - line[-4]), 1e-6) * 11
    normal = np.array([-(tip - back)[1], (tip - back)[0]]) * 0.55
    head = np.round(np.array([tip, back + normal, back - normal]) * _SCALE).astype(np.int32)
    for colour, width, grow in ((_BACKGROUND, 9, 3), (_ARROW, 4, 0)):
        cv2.polylines(img, [pts[:-2]], False, _bgr(colour), width * _SCALE, cv2.LINE_AA)
        if grow:
            cv2.fillPoly(img, [head], _bgr(colour), cv2.LINE_AA)
            cv2.polylines(img, [head], True, _bgr(colour), grow * 2 * _SCALE, cv2.LINE_AA)
        else:
            cv2.fillPoly(img, [head], _bgr(colour), cv2.LINE_AA)


def _panel(scene: Scene, pose: Pose, cam: _Camera, floor: np.ndarray, first: bool) -> np.ndarray:
    img = np.full((PANEL[1] * _SCALE, PANEL[0] * _SCALE, 3), _bgr(_BACKGROUND), np.uint8)
    _polygon(img, cam.px(floor), _FLOOR, _FLOOR_EDGE)
    _props(img, scene, cam)
    if not first:
        _body(img, skeleton(scene.start), cam, scene.moving, ghost=True)
    joints = skeleton(pose)
    _body(img, joints, cam, scene.moving)
    _band(img, joints, scene, cam)
    if first:
        _arrow(img, cam.px(path(scene)))
    return cv2.resize(img, PANEL, interpolation=cv2.INTER_AREA)


def _scene_points(scene: Scene) -> np.ndarray:
    points = [np.array(list(skeleton(pose).values())) for pose in (scene.start, scene.end)]
    for box in scene.boxes:
        points.append(np.array([box.low, box.high]))
    for roller in scene.rollers:
        points.append(np.array(roller.centre)[None] + [[0, -roller.radius, 0], [0, roller.radius, 0]])
    return np.concatenate(points)


def _label(img: np.ndarray, text: str, x: int) -> None:
    """A panel's caption ("1  Start"), top left."""
    cv2.putText(img, text, (x + 10, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.55, _bgr(_OUTLINE), 1, cv2.LINE_AA)


def render(scene: Scene) -> np.ndarray:
    """The picture of ``scene`` as a BGR image: start on the left, end on the right, a thin line between."""
    cam = _Camera(scene.azimuth, scene.elevation)
    points = _scene_points(scene)
    floor = _floor_corners(points)
    shown = np.concatenate([points, floor]) if scene.elevation > 15 else points
    cam.fit(shown if scene.focus is None else shown[shown[:, 1] <= scene.focus], PANEL)
    left = _panel(scene, scene.start, cam, floor, first=True)
    right = _panel(scene, scene.end, cam, floor, first=False)
    img = np.concatenate([left, np.full((PANEL[1], 2, 3), 210, np.uint8), right], axis=1)
    _label(img, "1  Start", 0)
    _label(img, "2  End", PANEL[0] + 2)
    return img


@cache
def figure_png(key: str) -> bytes:
    """The PNG picture of the catalog exercise ``key`` (made once per process).

    Raises
    ------
    KeyError
        When no scene is drawn for ``key``.
    """
    ok, data = cv2.imencode(".png", render(SCENES[key]))
    if not ok:
        raise RuntimeError(f"OpenCV could not encode the picture of {key}")
    return data.tobytes()


def contact_sheet(keys: list[str] | None = None, columns: int = 2) -> np.ndarray:
    """Every exercise's picture on one BGR image, each under its key, for looking at them all at once."""
    keys = list(SCENES) if keys is None else keys
    tiles = []
    for key in keys:
        picture = cv2.imdecode(np.frombuffer(figure_png(key), np.uint8), cv2.IMREAD_COLOR)
        assert picture is not None, f"the figure of {key} does not decode"
        caption = np.full((28, picture.shape[1], 3), 255, np.uint8)
        _label(caption, key, 0)
        tiles.append(np.concatenate([caption, picture], axis=0))
    blank = np.full_like(tiles[0], 255)
    tiles += [blank] * (-len(tiles) % columns)
    rows = [np.concatenate(tiles[i : i + columns], axis=1) for i in range(0, len(tiles), columns)]
    return np.concatenate(rows, axis=0)
