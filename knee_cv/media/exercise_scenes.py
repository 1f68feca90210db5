"""What each exercise's picture shows: the start and end pose, the props, the moving part and the camera.

One :class:`Scene` per exercise of the catalog (``knee_cv/core/exercises.toml``),
built from :mod:`knee_cv.media.figure_body` poses. Distances are metres in
the world frame (Y up, floor at 0, the person facing +Z with their left
toward +X before any turn). Drawn by :mod:`knee_cv.media.exercise_figures`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from knee_cv.media.figure_body import LENGTH, Point, Pose, angles_toward, skeleton

DOWN, UP, FRONT, BACK = (0.0, -1.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0), (0.0, 0.0, -1.0)


@dataclass(frozen=True)
class Box:
    """A solid block (a step, a wall) between two opposite corners."""

    low: Point
    high: Point


@dataclass(frozen=True)
class Roller:
    """A foam roller: a cylinder of ``radius`` along ``axis`` (a unit vector) through ``centre``."""

    centre: Point
    axis: Point
    radius: float
    length: float


@dataclass(frozen=True)
class Scene:
    """One exercise's picture.

    Attributes
    ----------
    start, end : Pose
        The body at the start and at the end of the movement.
    azimuth, elevation : float
        Where the camera looks from, in degrees: azimuth 0 in front of an
        unturned person, 90 at their left, 180 behind; elevation above the
        horizon. The projection is orthographic.
    moving : tuple of str
        The segments that move (:data:`knee_cv.media.figure_body.SEGMENTS`,
        or ``"trunk"``), drawn in the accent colour.
    follow : str
        The joint whose path from start to end is drawn as the arrow.
    boxes, rollers : tuple
        Props.
    band : tuple of (str, str)
        Joints joined by an exercise band, if any.
    focus : float or None
        Fit the picture to what lies below this height (metres) and cut the
        rest off, for a small movement of the feet; None fits everything.
    """

    start: Pose
    end: Pose
    azimuth: float
    elevation: float
    moving: tuple[str, ...]
    follow: str
    boxes: tuple[Box, ...] = ()
    rollers: tuple[Roller, ...] = ()
    band: tuple[str, str] | None = None
    focus: float | None = None


def _unit(vector: np.ndarray) -> Point:
    x, y, z = (float(v) for v in vector / np.linalg.norm(vector))
    return x, y, z


def _along(joints: dict[str, np.ndarray], a: str, b: str) -> Point:
    return _unit(joints[b] - joints[a])


def _limbs(turn: Point, trunk: tuple[float, float] = (0.0, 0.0), **world: Point) -> dict[str, tuple[float, float]]:
    """Limb angles (see :attr:`Pose.limbs`) from world directions, e.g. ``thigh_l=DOWN``, in a body turned by ``turn``."""
    return {name: angles_toward(direction, turn, name[-1], trunk if "arm" in name else None) for name, direction in world.items()}


def _calf_step_stretch() -> Scene:
    step = Box((-0.35, 0.0, 0.0), (0.35, 0.18, 0.55))
    pose = Pose(
        limbs={"arm_l": (5.0, 8.0), "arm_r": (5.0, 8.0), "forearm_l": (25.0, 8.0), "forearm_r": (25.0, 8.0)},
        feet={"l": 0.0},
        anchor="ball_l",
        at=(0.09, 0.18, 0.0),
        plant={"leg_r": (-0.09, 0.18 + LENGTH["ankle"], -0.1)},
    )
    return Scene(
        start=pose,
        end=replace(pose, feet={"l": -30.0}),
        azimuth=90.0,
        elevation=4.0,
        moving=("foot_l",),
        follow="heel_l",
        boxes=(step,),
        focus=1.0,
    )


def _fire_hydrants() -> Scene:
    turn = (80.0, 0.0, 0.0)  # on hands and knees, the shoulders a little above the hips
    start = Pose(
        limbs=_limbs(turn, thigh_l=DOWN, shank_l=BACK, shank_r=BACK, thigh_r=DOWN),
        feet={"l": 90.0, "r": 90.0},
        head=(-10.0, 0.0),
        turn=turn,
        anchor="knee_r",
        at=(-0.09, 0.06, 0.0),
    )
    joints = skeleton(start)
    hands = {f"arm_{s}": (float(joints[f"shoulder_{s}"][0]), 0.03, float(joints[f"shoulder_{s}"][2])) for s in "lr"}
    start = replace(start, plant=hands)
    lifted = (float(np.sin(np.radians(75))), -float(np.cos(np.radians(75))), 0.0)
    end = replace(start, limbs=_limbs(turn, thigh_l=lifted, shank_l=BACK, shank_r=BACK, thigh_r=DOWN))
    return Scene(start=start, end=end, azimuth=160.0, elevation=20.0, moving=("thigh_l", "shank_l", "foot_l"), follow="knee_l")


def _foam_rolling() -> Scene:
    legs = {"thigh_l": (90.0, 0.0), "thigh_r": (90.0, 0.0), "shank_l": (90.0, 0.0), "shank_r": (90.0, 0.0)}

    def sitting(z: float) -> Pose:
        """Calves on the roller, hips off the floor at ``z``, hands on the floor behind."""
        hands = {"arm_l": (0.2, 0.03, z - 0.62), "arm_r": (-0.2, 0.03, z - 0.62)}
        return Pose(limbs=legs, feet={"l": 20.0, "r": 20.0}, trunk=(-55.0, 0.0), head=(30.0, 0.0), at=(0.0, 0.21, z), plant=hands)

    roller = Roller(centre=(0.0, 0.075, 0.58), axis=(1.0, 0.0, 0.0), radius=0.075, length=0.45)
    return Scene(
        start=sitting(0.0),
        end=sitting(-0.24),
        azimuth=90.0,
        elevation=4.0,
        moving=("shank_l", "shank_r"),
        follow="knee_l",
        rollers=(roller,),
    )


def _lying_on_right_side(**limbs: tuple[float, float]) -> Pose:
    """On the right side, head on the lower arm, the upper hand on the floor in front of the chest."""
    turn = (0.0, 90.0, 0.0)
    arms = {"arm_r": (170.0, 0.0), "forearm_r": (170.0, 0.0), "arm_l": (5.0, -12.0), "forearm_l": (20.0, -12.0)}
    return Pose(limbs=arms | limbs, trunk=(0.0, 6.0), head=(0.0, -12.0), turn=turn, anchor="hip_r", at=(0.0, 0.08, 0.0))


def _clamshells() -> Scene:
    bent = {"thigh_r": (50.0, 0.0), "shank_r": (-40.0, 0.0), "thigh_l": (50.0, -10.0), "shank_l": (-40.0, -4.0)}
    start = _lying_on_right_side(**bent)
    j = skeleton(start)
    # The top knee turns up about the line from the hip to the ankle: the feet stay together.
    axis = (j["ankle_l"] - j["hip_l"]) / np.linalg.norm(j["ankle_l"] - j["hip_l"])
    thigh = j["knee_l"] - j["hip_l"]
    turn = np.radians(-40.0)
    thigh = thigh * np.cos(turn) + np.cross(axis, thigh) * np.sin(turn) + axis * (axis @ thigh) * (1 - np.cos(turn))
    knee = j["hip_l"] + thigh
    opened = _limbs(start.turn, thigh_l=_unit(thigh), shank_l=_unit(j["ankle_l"] - knee))
    end = replace(start, limbs=start.limbs | opened)
    return Scene(start=start, end=end, azimuth=0.0, elevation=15.0, moving=("thigh_l", "shank_l", "foot_l"), follow="knee_l")


def _side_lying_hip_abduction() -> Scene:
    legs = {"thigh_r": (45.0, 0.0), "shank_r": (-45.0, 0.0), "thigh_l": (-12.0, -4.0), "shank_l": (-12.0, -4.0)}
    start = _lying_on_right_side(**legs)
    end = replace(start, limbs=start.limbs | {"thigh_l": (-12.0, 35.0), "shank_l": (-12.0, 35.0)})
    return Scene(start=start, end=end, azimuth=0.0, elevation=10.0, moving=("thigh_l", "shank_l", "foot_l"), follow="ankle_l")


def _lateral_band_walks() -> Scene:
    arms = {"arm_l": (-20.0, 35.0), "arm_r": (-20.0, 35.0), "forearm_l": (40.0, -30.0), "forearm_r": (40.0, -30.0)}
    ankle = 0.06
    start = Pose(
        limbs=arms, trunk=(18.0, 0.0), at=(0.0, 0.83, -0.08), plant={"leg_l": (0.13, ankle, 0.0), "leg_r": (-0.13, ankle, 0.0)}
    )
    end = replace(start, at=(0.14, 0.83, -0.08), plant={"leg_l": (0.43, ankle, 0.0), "leg_r": (-0.13, ankle, 0.0)})
    return Scene(
        start=start,
        end=end,
        azimuth=20.0,
        elevation=6.0,
        moving=("thigh_l", "shank_l", "foot_l"),
        follow="ankle_l",
        band=("ankle_l", "ankle_r"),
    )


def _single_leg_glute_bridge() -> Scene:
    foot = {"leg_l": (0.09, LENGTH["ankle"], 0.5)}
    neck = (0.0, 0.11, -0.5)

    def lying(pitch: float, head: float) -> Pose:
        turn = (pitch, 0.0, 0.0)
        arms = _limbs(
            turn, arm_l=(0.15, -0.2, 0.97), arm_r=(-0.15, -0.2, 0.97), forearm_l=(0.0, -0.1, 1.0), forearm_r=(0.0, -0.1, 1.0)
        )
        pose = Pose(limbs=arms, head=(head, 0.0), turn=turn, anchor="neck", at=neck, plant=foot)
        thigh = _along(skeleton(pose), "hip_l", "knee_l")  # the straight leg in line with the bent one's thigh
        return replace(pose, limbs=arms | _limbs(turn, thigh_r=thigh, shank_r=thigh), feet={"r": 30.0})

    return Scene(
        start=lying(-90.0, 0.0), end=lying(-113.0, 23.0), azimuth=90.0, elevation=4.0, moving=("trunk",), follow="pelvis"
    )


def _side_plank() -> Scene:
    def on_forearm(roll: float, bend: float) -> Pose:
        turn = (0.0, roll, 0.0)
        pose = Pose(
            limbs={"arm_l": (0.0, 8.0), "forearm_l": (0.0, 8.0), "thigh_l": (0.0, -2.0), "shank_l": (0.0, -2.0)},
            feet={"l": 20.0, "r": 20.0},
            trunk=(0.0, bend),
            turn=turn,
            anchor="ankle_r",
            at=(0.6, 0.06, 0.0),
        )
        shoulder = skeleton(pose)["shoulder_r"]
        return replace(pose, plant={"arm_r": (float(shoulder[0]) - 0.02, 0.03, LENGTH["forearm"])})

    return Scene(
        start=on_forearm(90.0, 38.0), end=on_forearm(76.0, 0.0), azimuth=-25.0, elevation=15.0, moving=("trunk",), follow="pelvis"
    )


def _single_leg_balance() -> Scene:
    arms = {"arm_l": (5.0, 22.0), "arm_r": (5.0, 22.0), "forearm_l": (20.0, 30.0), "forearm_r": (20.0, 30.0)}
    stand = {"leg_l": (0.09, LENGTH["ankle"], 0.0)}
    start = Pose(limbs=arms | {"thigh_r": (0.0, 0.0), "shank_r": (0.0, 0.0)}, feet={"r": 0.0}, at=(0.0, 0.93, 0.0), plant=stand)
    end = replace(start, limbs=arms | {"thigh_r": (45.0, 0.0), "shank_r": (-40.0, 0.0)}, feet={"r": 0.0}, at=(0.05, 0.915, 0.0))
    return Scene(start=start, end=end, azimuth=-35.0, elevation=6.0, moving=("thigh_r", "shank_r", "foot_r"), follow="ankle_r")


def _slow_step_downs() -> Scene:
    step = Box((-0.1, 0.0, -0.3), (0.3, 0.2, 0.1))
    arms = {"arm_l": (0.0, 18.0), "arm_r": (0.0, 18.0), "forearm_l": (15.0, 25.0), "forearm_r": (15.0, 25.0)}
    stand = {"leg_l": (0.09, 0.2 + LENGTH["ankle"], -0.02)}
    start = Pose(
        limbs=arms | {"thigh_r": (22.0, 0.0), "shank_r": (22.0, 0.0)}, feet={"r": 5.0}, at=(0.03, 1.11, -0.05), plant=stand
    )
    end = replace(
        start, limbs=start.limbs | {"thigh_r": (27.0, 0.0), "shank_r": (27.0, 0.0)}, trunk=(18.0, 0.0), at=(0.03, 0.85, -0.16)
    )
    return Scene(start=start, end=end, azimuth=55.0, elevation=8.0, moving=("thigh_l", "shank_l"), follow="heel_r", boxes=(step,))


def _knee_to_wall() -> Scene:
    wall = Box((-0.45, 0.0, 0.62), (0.45, 1.7, 0.68))
    hands = {"arm_l": (0.2, 1.2, 0.62 - LENGTH["hand"]), "arm_r": (-0.2, 1.2, 0.62 - LENGTH["hand"])}
    feet = {"leg_l": (0.09, LENGTH["ankle"], 0.38), "leg_r": (-0.09, LENGTH["ankle"], -0.08)}
    start = Pose(at=(0.0, 0.9, 0.15), plant=feet | hands)
    end = replace(start, trunk=(-4.0, 0.0), at=(0.0, 0.83, 0.33))
    return Scene(start=start, end=end, azimuth=90.0, elevation=4.0, moving=("thigh_l", "shank_l"), follow="knee_l", boxes=(wall,))


#: Every catalog exercise's scene, by exercise key.
SCENES: dict[str, Scene] = {
    "calf_step_stretch": _calf_step_stretch(),
    "fire_hydrants": _fire_hydrants(),
    "foam_rolling": _foam_rolling(),
    "clamshells": _clamshells(),
    "side_lying_hip_abduction": _side_lying_hip_abduction(),
    "lateral_band_walks": _lateral_band_walks(),
    "single_leg_glute_bridge": _single_leg_glute_bridge(),
    "side_plank": _side_plank(),
    "single_leg_balance": _single_leg_balance(),
    "slow_step_downs": _slow_step_downs(),
    "knee_to_wall": _knee_to_wall(),
}
