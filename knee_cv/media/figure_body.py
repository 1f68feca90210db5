"""A posable 3D stick body for the exercise pictures: joint angles in, joint positions out.

Body frame (metres): X = the person's left, Y = up along the trunk, Z = the
person's front; the pelvis centre is the origin. A :class:`Pose` gives each
segment's direction in that frame as two angles, turns the whole body into
the world (lying on the back, on the side, on hands and knees) and places it
by one joint. Feet or hands held at a world point (a foot flat on the floor
while the hips move) are solved with two-segment inverse kinematics, so a
limb keeps its length whatever the pose.

World frame: Y up, the floor at Y = 0; with no turn the person faces +Z with
their left toward +X. :func:`blend` interpolates two poses, which gives the
path of a moving joint between the start and the end of an exercise.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

#: Segment lengths and sizes in metres (a 1.70 m adult, rounded).
LENGTH = {
    "trunk": 0.50,
    "neck": 0.09,
    "head": 0.11,
    "hip": 0.09,
    "shoulder": 0.18,
    "thigh": 0.44,
    "shank": 0.43,
    "arm": 0.29,
    "forearm": 0.26,
    "hand": 0.08,
    "ankle": 0.06,
    "heel": 0.05,
    "ball": 0.10,
    "toe": 0.16,
}

#: The two-segment limbs: root joint, middle joint, end joint, segment names.
LIMBS = {
    "leg_l": ("hip_l", "knee_l", "ankle_l", "thigh", "shank"),
    "leg_r": ("hip_r", "knee_r", "ankle_r", "thigh", "shank"),
    "arm_l": ("shoulder_l", "elbow_l", "wrist_l", "arm", "forearm"),
    "arm_r": ("shoulder_r", "elbow_r", "wrist_r", "arm", "forearm"),
}

#: Drawn segments besides the trunk and the head: name, from joint, to joint.
SEGMENTS = (
    ("neck", "neck", "head"),
    ("thigh_l", "hip_l", "knee_l"),
    ("shank_l", "knee_l", "ankle_l"),
    ("foot_l", "heel_l", "toe_l"),
    ("thigh_r", "hip_r", "knee_r"),
    ("shank_r", "knee_r", "ankle_r"),
    ("foot_r", "heel_r", "toe_r"),
    ("arm_l", "shoulder_l", "elbow_l"),
    ("forearm_l", "elbow_l", "hand_l"),
    ("arm_r", "shoulder_r", "elbow_r"),
    ("forearm_r", "elbow_r", "hand_r"),
)

Angles = tuple[float, float]
Point = tuple[float, float, float]


@dataclass(frozen=True)
class Pose:
    """A body position, by angles in degrees.

    Attributes
    ----------
    limbs : dict of str to (float, float)
        Direction of ``thigh_l``, ``shank_l``, ``thigh_r``, ``shank_r``,
        ``arm_l``, ``forearm_l``, ``arm_r``, ``forearm_r`` as (flexion,
        abduction), the legs' in the body frame and the arms' in the trunk's: from hanging straight down, first turned
        out to the side by the abduction (toward the limb's own side), then
        swung forward by the flexion (backward when negative). (90, 0) points
        forward; (90, 40) is a thigh flexed to the front and opened 40 deg
        out, as on hands and knees in a fire hydrant. Missing limbs hang down.
    feet : dict of str to float
        Pitch of the ``l`` and ``r`` foot: 0 = at right angles to an upright
        shank's line (flat when standing), positive = toes pointing down.
    trunk : (float, float)
        Forward flexion and side bend toward the person's left of the trunk.
    head : (float, float)
        Flexion (chin down) and side bend of the head on the trunk.
    turn : (float, float, float)
        The whole body turned into the world: pitch about the left axis
        (90 = face down, -90 = on the back), then roll about the front axis
        (90 = lying on the right side, the left side up), then yaw about the
        vertical.
    anchor : str
        The joint placed at ``at`` (not one of ``plant``'s limbs below the root).
    at : (float, float, float)
        World position of ``anchor``.
    plant : dict of str to (float, float, float)
        Limbs whose end is held at a world point (``"leg_l"``: the ankle;
        ``"arm_r"``: the wrist), the middle joint bending the natural way
        (a knee to the front, an elbow to the back; out of reach, straight
        toward the point and short of it). A planted foot lies flat,
        toes to the front (or, lying on the back, away from the head); a
        planted hand lies flat along the forearm (under an upright forearm,
        toward the head, or else to the front).
    """

    limbs: dict[str, Angles] = field(default_factory=dict)
    feet: dict[str, float] = field(default_factory=dict)
    trunk: Angles = (0.0, 0.0)
    head: Angles = (0.0, 0.0)
    turn: Point = (0.0, 0.0, 0.0)
    anchor: str = "pelvis"
    at: Point = (0.0, 0.0, 0.0)
    plant: dict[str, Point] = field(default_factory=dict)


def _rx(deg: float) -> np.ndarray:
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def _ry(deg: float) -> np.ndarray:
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def _rz(deg: float) -> np.ndarray:
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def turn_matrix(turn: Point) -> np.ndarray:
    """The rotation from the body frame to the world for a pose's ``turn`` (pitch, roll, yaw)."""
    pitch, roll, yaw = turn
    rotation: np.ndarray = _ry(yaw) @ _rz(roll) @ _rx(pitch)
    return rotation


def trunk_matrix(trunk: Angles) -> np.ndarray:
    """The rotation of the trunk (and the arms on it) from the pelvis for a pose's ``trunk`` (flexion, side bend)."""
    rotation: np.ndarray = _rz(-trunk[1]) @ _rx(trunk[0])
    return rotation


def direction(flexion: float, abduction: float, side: str) -> np.ndarray:
    """Unit vector in the body frame of a limb segment (see :attr:`Pose.limbs`); ``side`` is ``"l"`` or ``"r"``."""
    out = 1.0 if side == "l" else -1.0
    unit: np.ndarray = _rx(-flexion) @ _rz(out * abduction) @ np.array([0.0, -1.0, 0.0])
    return unit


def angles_toward(world: Point, turn: Point, side: str, trunk: Angles | None = None) -> Angles:
    """The (flexion, abduction) that points a limb segment along ``world`` in a body turned by ``turn``.

    For pose tables: "the upper arm straight down to the floor" in a body
    lying on its side. Give an arm segment its pose's ``trunk``: arms turn
    with the trunk.

    Examples
    --------
    >>> angles_toward((0.0, -1.0, 0.0), (90.0, 0.0, 0.0), "l")  # face down: the floor is to the front
    (90.0, 0.0)
    """
    rotation = turn_matrix(turn) @ (np.eye(3) if trunk is None else trunk_matrix(trunk))
    d = rotation.T @ np.asarray(world, dtype=float)
    d = d / np.linalg.norm(d)
    out = 1.0 if side == "l" else -1.0
    abduction = np.degrees(np.arcsin(np.clip(out * d[0], -1.0, 1.0)))
    flexion = np.degrees(np.arctan2(d[2], -d[1]))
    return round(float(flexion), 6) + 0.0, round(float(abduction), 6) + 0.0


def _foot(ankle: np.ndarray, toward: np.ndarray, sole_down: np.ndarray, joints: dict[str, np.ndarray], side: str) -> None:
    """Heel and toe of a foot whose toes point along ``toward`` with the sole below along ``sole_down``."""
    sole = ankle + LENGTH["ankle"] * sole_down
    joints[f"heel_{side}"] = sole - LENGTH["heel"] * toward
    joints[f"ball_{side}"] = sole + LENGTH["ball"] * toward
    joints[f"toe_{side}"] = sole + LENGTH["toe"] * toward


def _reach(root: np.ndarray, target: np.ndarray, upper: float, lower: float, bend: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The middle and end joint of a two-segment limb from ``root`` to ``target``, bending toward ``bend``.

    Out of reach, the limb points straight at the target and ends short of it.
    """
    span = target - root
    distance = float(np.linalg.norm(span))
    axis = span / distance
    if distance >= upper + lower:
        return root + upper * axis, root + (upper + lower) * axis
    along = (upper**2 - lower**2 + distance**2) / (2 * distance)
    side = bend - (bend @ axis) * axis
    side = side / np.linalg.norm(side)
    return root + along * axis + np.sqrt(max(upper**2 - along**2, 0.0)) * side, target


def _body_frame(pose: Pose) -> dict[str, np.ndarray]:
    """Every joint in the body frame, from the angles alone."""
    joints: dict[str, np.ndarray] = {"pelvis": np.zeros(3)}
    trunk_turn = trunk_matrix(pose.trunk)
    up, across = trunk_turn @ np.array([0.0, 1.0, 0.0]), trunk_turn @ np.array([1.0, 0.0, 0.0])
    joints["neck"] = LENGTH["trunk"] * up
    head_dir = trunk_turn @ _rz(-pose.head[1]) @ _rx(pose.head[0]) @ np.array([0.0, 1.0, 0.0])
    joints["head"] = joints["neck"] + (LENGTH["neck"] + LENGTH["head"]) * head_dir
    face = trunk_turn @ _rz(-pose.head[1]) @ _rx(pose.head[0]) @ np.array([0.0, 0.0, 1.0])
    joints["nose"] = joints["head"] + LENGTH["head"] * face
    for side, out in (("l", 1.0), ("r", -1.0)):
        joints[f"hip_{side}"] = np.array([out * LENGTH["hip"], 0.0, 0.0])
        joints[f"shoulder_{side}"] = joints["neck"] - 0.04 * up + out * LENGTH["shoulder"] * across
        for limb, frame in ((f"leg_{side}", np.eye(3)), (f"arm_{side}", trunk_turn)):
            root, middle, end, upper, lower = LIMBS[limb]
            a = frame @ direction(*pose.limbs.get(f"{upper}_{side}", (0.0, 0.0)), side)
            b = frame @ direction(*pose.limbs.get(f"{lower}_{side}", (0.0, 0.0)), side)
            joints[middle] = joints[root] + LENGTH[upper] * a
            joints[end] = joints[middle] + LENGTH[lower] * b
        joints[f"hand_{side}"] = joints[f"wrist_{side}"] + LENGTH["hand"] * b
        pitch = _rx(pose.feet.get(side, 0.0))
        shank = direction(*pose.limbs.get(f"shank_{side}", (0.0, 0.0)), side)
        # The foot turns with the shank's flexion: at pitch 0 it stands at right angles to it.
        flex = _rx(-np.degrees(np.arctan2(shank[2], -shank[1])))
        _foot(
            joints[f"ankle_{side}"],
            flex @ pitch @ np.array([0.0, 0.0, 1.0]),
            flex @ pitch @ np.array([0.0, -1.0, 0.0]),
            joints,
            side,
        )
    return joints


def skeleton(pose: Pose) -> dict[str, np.ndarray]:
    """World positions (metres) of every joint of ``pose``.

    Joints: ``pelvis``, ``neck``, ``head`` (the head's centre), ``nose`` (a
    point on the face, for which way the head looks) and, with ``_l`` and
    ``_r``, ``hip``, ``knee``, ``ankle``, ``heel``, ``toe``, ``shoulder``,
    ``elbow``, ``wrist``, ``hand``.

    Examples
    --------
    >>> joints = skeleton(Pose(anchor="heel_l", at=(0.1, 0.0, 0.0)))
    >>> round(float(joints["head"][1]), 2), round(float(joints["toe_l"][2] - joints["heel_l"][2]), 2)
    (1.63, 0.21)
    """
    rotation = turn_matrix(pose.turn)
    body = _body_frame(pose)
    planted = {LIMBS[limb][k] for limb in pose.plant for k in (1, 2)}
    planted |= {
        f"{j}_{limb[-1]}" for limb in pose.plant for j in (("heel", "ball", "toe") if limb.startswith("leg") else ("hand",))
    }
    if pose.anchor in planted:
        raise ValueError(f"the anchor {pose.anchor!r} moves with a planted limb")
    shift = np.asarray(pose.at, dtype=float) - rotation @ body[pose.anchor]
    joints = {name: rotation @ p + shift for name, p in body.items()}
    front, head_way = rotation @ np.array([0.0, 0.0, 1.0]), rotation @ np.array([0.0, 1.0, 0.0])
    for limb, planted_at in pose.plant.items():
        root, middle, end, upper, lower = LIMBS[limb]
        side = limb[-1]
        bend = front if limb.startswith("leg") else -front
        joints[middle], target = _reach(joints[root], np.asarray(planted_at, dtype=float), LENGTH[upper], LENGTH[lower], bend)
        joints[end] = target
        if limb.startswith("leg"):
            toward = front * [1.0, 0.0, 1.0]
            if np.linalg.norm(toward) < 0.3:  # lying on the back: toes away from the head
                toward = -head_way * [1.0, 0.0, 1.0]
            _foot(target, toward / np.linalg.norm(toward), np.array([0.0, -1.0, 0.0]), joints, side)
        else:  # the hand flat on the floor: along the forearm, else toward the head, else to the front
            ways = [(target - joints[middle]) / LENGTH[lower], head_way, front]
            flat = next(w * [1.0, 0.0, 1.0] for w in ways if np.linalg.norm(w * [1.0, 0.0, 1.0]) > 0.1)
            joints[f"hand_{side}"] = target + LENGTH["hand"] * flat / np.linalg.norm(flat)
    return joints


def _mix(a: Any, b: Any, t: float) -> Any:  # Any: a Pose field, a number, str, tuple or dict of them, mixed recursively
    if isinstance(a, dict):
        if set(a) != set(b):
            raise ValueError(f"poses differ in {sorted(set(a) ^ set(b))}")
        return {k: _mix(a[k], b[k], t) for k in a}
    if isinstance(a, tuple):
        return tuple(_mix(x, y, t) for x, y in zip(a, b))
    if isinstance(a, str):
        if a != b:
            raise ValueError(f"poses differ in {a!r} and {b!r}")
        return a
    return (1 - t) * a + t * b


def blend(start: Pose, end: Pose, t: float) -> Pose:
    """The pose a fraction ``t`` (0 to 1) of the way from ``start`` to ``end``, every number interpolated.

    Both poses must name the same limbs, feet, planted limbs and anchor; a
    limb left out of one hangs down in it, so give it in both.
    """
    return replace(start, **{f.name: _mix(getattr(start, f.name), getattr(end, f.name), t) for f in fields(Pose)})
