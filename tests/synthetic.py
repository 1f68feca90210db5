"""Synthetic single-leg squats with known geometry, seen through a pinhole camera.

A stick person (pelvis, legs, trunk, head, crossed arms) does single-leg
squats in 3D and is projected into a video frame. The knee valgus and pelvic
drop are known, so the analysis can be checked against them.

World frame (metres): X = the person's left, Y = up, Z = the person's
forward; the floor is Y = 0 and the stance ankle stands near X = +-hip/2.

Known valgus
------------
``valgus_deg`` is the FPPA of the stance leg at the bottom of each rep **as
seen by the frontal camera** (the same pinhole camera without yaw or roll):
the knee is shifted medially in 3D (bisection on its X) until the projected
angle between thigh and shank is exactly that value, growing with the squat
phase from 0 (standing) to the full value (bottom). Roll and mirroring do
not change it; yaw does, so ``truth["fppa_left"]`` / ``["fppa_right"]`` give
the angle as projected by the actual camera, computed from the projected
segment lengths (law of cosines, sign from the construction), independently
of knee_cv.

Known pelvic drop
-----------------
``pelvic_drop_deg`` rotates the pelvis in the frontal plane about the stance
hip so that the free leg's hip is lower by that angle at the bottom (also
growing with the squat phase). ``truth["pelvic_drop"]`` holds the angle per
frame (0 when standing on both feet).

Camera
------
Pinhole at ``distance_m`` in front of the person at ``camera_height_m``,
looking horizontally; ``yaw_deg`` swings it around the person (positive
toward the person's left), ``roll_deg`` turns the image clockwise on screen
about its centre, ``mirrored`` flips x (x -> W - x) keeping the person's own
left/right labels, as a selfie camera would show.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from knee_cv.core.landmarks import NUM_LANDMARKS
from knee_cv.core.landmarks import Landmark as L
from knee_cv.core.track import PoseTrack

THIGH_M = 0.45
SHANK_M = 0.43
ANKLE_HEIGHT_M = 0.08
HIP_WIDTH_M = 0.28
SHOULDER_WIDTH_M = 0.38
TRUNK_M = 0.52
LIFT_S = 0.4  # time to lift / put down the free foot


@dataclass
class Timeline:
    """Per-frame phase of the motion."""

    squat: np.ndarray  # 0 standing .. 1 bottom of a rep
    lift: np.ndarray  # 0 free foot down .. 1 fully lifted
    stance: np.ndarray  # "left", "right" or "both"
    reps: list[tuple[int, int, int]]  # (start, bottom, end) frame of each rep


def _timeline(t, n_reps, stance_legs, tempo_s, pause_s, standing_s, two_foot_phases=True) -> Timeline:
    n = len(t)
    squat, lift = np.zeros(n), np.zeros(n)
    stance = np.full(n, "both", dtype=object)
    reps = []
    start = standing_s
    for rep in range(n_reps):
        leg, tempo = stance_legs[rep], tempo_s[rep]
        down = start + LIFT_S
        bottom_a, bottom_b = down + tempo / 2, down + tempo / 2 + pause_s
        up_end = bottom_b + tempo / 2
        end = up_end + LIFT_S
        phase = np.interp(t, [down, bottom_a, bottom_b, up_end], [0.0, 1.0, 1.0, 0.0])
        squat = np.maximum(squat, 0.5 - 0.5 * np.cos(np.pi * phase))
        lifted = np.interp(t, [start, down, up_end, end], [0.0, 1.0, 1.0, 0.0])
        lift = np.maximum(lift, lifted)
        stance[(t >= start) & (t <= end)] = leg
        frame = lambda s: int(np.argmin(np.abs(t - s)))  # noqa: E731
        reps.append((frame(down), frame((bottom_a + bottom_b) / 2), frame(up_end)))
        start = end + 0.6
    if not two_foot_phases:  # the free foot stays up from the first frame to the last
        if len(set(stance_legs)) > 1:
            raise ValueError("without two-foot phases every rep needs the same stance leg")
        lift[:] = 1.0
        stance[:] = stance_legs[0]
    return Timeline(squat, lift, stance, reps)


def _depth_to_flexion(depth: float) -> float:
    """Knee flexion (rad) that lowers the hip by ``depth`` leg lengths (shank 40 %, thigh 60 % of it)."""
    k = np.linspace(0.0, np.radians(150), 3001)
    drop = 1 - (SHANK_M * np.cos(0.4 * k) + THIGH_M * np.cos(0.6 * k)) / (SHANK_M + THIGH_M)
    return float(np.interp(depth, drop, k))


def _knee_x_for_angle(hip, ankle, knee_y, knee_z, fppa_rad, medial, frontal):
    """Knee x (m) making the FPPA seen by the frontal camera equal ``fppa_rad`` (vectorized).

    ``hip`` and ``ankle`` are (T, 3) world points, the knee moves along x at
    height ``knee_y`` and depth ``knee_z``; ``medial`` (+1 / -1) is the world
    x direction of the other hip; ``frontal`` projects (T, 3) points to (T, 2)
    pixels. Bisection on the knee's x: the signed angle (positive = knee on
    the medial side of the projected hip-ankle line) grows with the medial shift.
    """
    hip_px, ankle_px = frontal(hip), frontal(ankle)
    medial_px = np.sign(frontal(hip + [medial * 0.1, 0.0, 0.0])[:, 0] - hip_px[:, 0])

    def signed_angle(knee_x):
        knee_px = frontal(np.stack([knee_x, knee_y, knee_z], -1))
        a, b = knee_px - hip_px, ankle_px - knee_px
        magnitude = np.arctan2(np.abs(a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]), (a * b).sum(-1))
        frac = (knee_px[:, 1] - hip_px[:, 1]) / (ankle_px[:, 1] - hip_px[:, 1])
        line_x = hip_px[:, 0] + frac * (ankle_px[:, 0] - hip_px[:, 0])
        return magnitude * np.sign((knee_px[:, 0] - line_x) * medial_px)

    lo, hi = hip[:, 0] - 0.4, hip[:, 0] + 0.4  # in world x; angle grows toward `medial`
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        move_hi = (signed_angle(mid) > fppa_rad) == (medial > 0)
        hi = np.where(move_hi, mid, hi)
        lo = np.where(move_hi, lo, mid)
    return 0.5 * (lo + hi)


def _body(tl: Timeline, depth, valgus_deg, pelvic_drop_deg, trunk_lean_deg, frontal) -> np.ndarray:
    """World positions (T, 33, 3) of all landmarks."""
    n = len(tl.squat)
    world = np.zeros((n, NUM_LANDMARKS, 3))
    k_bottom = _depth_to_flexion(depth)
    k = k_bottom * tl.squat
    side_of = {"left": 1.0, "right": -1.0}
    stance_sign = np.array([side_of.get(s, 0.0) for s in tl.stance])  # +1 left stance, 0 both
    drop = np.radians(pelvic_drop_deg) * tl.squat
    valgus = np.radians(valgus_deg) * tl.squat

    legs = {}
    pelvis_y = ANKLE_HEIGHT_M + SHANK_M * np.cos(0.4 * k) + THIGH_M * np.cos(0.6 * k)
    pelvis_z = SHANK_M * np.sin(0.4 * k) - THIGH_M * np.sin(0.6 * k)
    for leg, sx in side_of.items():
        is_stance = stance_sign == sx
        # The pelvis turns in the frontal plane about the stance hip: the free hip sits
        # a hip width away, lowered by `drop`. Standing on both feet it is level.
        free_x = stance_sign * HIP_WIDTH_M / 2 - stance_sign * HIP_WIDTH_M * np.cos(drop)
        hip_x = np.where(is_stance | (stance_sign == 0), sx * HIP_WIDTH_M / 2, free_x)
        hip_y = np.where(is_stance | (stance_sign == 0), pelvis_y, pelvis_y - HIP_WIDTH_M * np.sin(drop))
        hip_z = pelvis_z
        ankle = np.stack([np.full(n, sx * HIP_WIDTH_M / 2), np.full(n, ANKLE_HEIGHT_M), np.zeros(n)], -1)
        # Free foot: hip flexed 25 deg, knee flexed 70 deg when lifted (more when deep),
        # foot behind the knee and clear of the floor.
        hf = np.radians(25 + 20 * tl.squat) * tl.lift
        kf = np.radians(70 + 40 * tl.squat) * tl.lift
        free_knee = np.stack([hip_x, hip_y - THIGH_M * np.cos(hf), hip_z + THIGH_M * np.sin(hf)], -1)
        free_ankle = free_knee + np.stack([np.zeros(n), -SHANK_M * np.cos(kf - hf), -SHANK_M * np.sin(kf - hf)], -1)
        free = ~is_stance & (stance_sign != 0)
        ankle = np.where(free[:, None], free_ankle, ankle)
        knee_y = np.where(free, free_knee[:, 1], ANKLE_HEIGHT_M + SHANK_M * np.cos(0.4 * k))
        knee_z = np.where(free, free_knee[:, 2], SHANK_M * np.sin(0.4 * k))
        hip = np.stack([hip_x, hip_y, hip_z], -1)
        medial = -sx  # x direction of the other hip
        knee_x = _knee_x_for_angle(hip, ankle, knee_y, knee_z, np.where(is_stance, valgus, 0.0), medial, frontal)
        knee_x = np.where(free, hip_x, knee_x)
        legs[leg] = (hip, np.stack([knee_x, knee_y, knee_z], -1), ankle)

    for leg, (hip, knee, ankle) in legs.items():
        names = {
            "left": (L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE, L.LEFT_HEEL, L.LEFT_FOOT_INDEX),
            "right": (L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE, L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX),
        }[leg]
        world[:, names[0]], world[:, names[1]], world[:, names[2]] = hip, knee, ankle
        world[:, names[3]] = ankle + [0.0, -0.05, -0.06]
        world[:, names[4]] = ankle + [0.0, -0.06, 0.18]

    hip_mid = 0.5 * (legs["left"][0] + legs["right"][0])
    forward = 0.5 * k  # trunk pitches forward with the squat
    lateral = np.radians(trunk_lean_deg) * tl.squat * stance_sign  # toward the stance side (+X = left)
    trunk_dir = np.stack([np.sin(lateral), np.cos(lateral) * np.cos(forward), np.cos(lateral) * np.sin(forward)], -1)
    shoulder_mid = hip_mid + TRUNK_M * trunk_dir
    across = np.stack([np.cos(lateral), -np.sin(lateral), np.zeros(n)], -1)  # toward the left
    world[:, L.LEFT_SHOULDER] = shoulder_mid + across * SHOULDER_WIDTH_M / 2
    world[:, L.RIGHT_SHOULDER] = shoulder_mid - across * SHOULDER_WIDTH_M / 2
    head = shoulder_mid + 0.25 * trunk_dir + [0.0, 0.0, 0.05]
    face = {
        L.NOSE: (0.0, 0.0, 0.09),
        L.LEFT_EYE_INNER: (0.015, 0.035, 0.08),
        L.LEFT_EYE: (0.03, 0.035, 0.075),
        L.LEFT_EYE_OUTER: (0.045, 0.035, 0.07),
        L.RIGHT_EYE_INNER: (-0.015, 0.035, 0.08),
        L.RIGHT_EYE: (-0.03, 0.035, 0.075),
        L.RIGHT_EYE_OUTER: (-0.045, 0.035, 0.07),
        L.LEFT_EAR: (0.075, 0.02, 0.0),
        L.RIGHT_EAR: (-0.075, 0.02, 0.0),
        L.MOUTH_LEFT: (0.025, -0.035, 0.08),
        L.MOUTH_RIGHT: (-0.025, -0.035, 0.08),
    }
    for mark, offset in face.items():
        world[:, mark] = head + offset
    # Arms crossed in front of the chest.
    chest = shoulder_mid - 0.15 * trunk_dir + [0.0, 0.0, 0.2]
    for sx, elbow, hand in (
        (1.0, L.LEFT_ELBOW, (L.LEFT_WRIST, L.LEFT_PINKY, L.LEFT_INDEX, L.LEFT_THUMB)),
        (-1.0, L.RIGHT_ELBOW, (L.RIGHT_WRIST, L.RIGHT_PINKY, L.RIGHT_INDEX, L.RIGHT_THUMB)),
    ):
        world[:, elbow] = chest + [sx * 0.2, -0.05, -0.02]
        for j, mark in enumerate(hand):
            world[:, mark] = chest + [-sx * (0.12 + 0.02 * j), 0.02, 0.02]
    return world


def _project(world, width, height, distance_m, camera_height_m, yaw_deg, roll_deg, mirrored):
    """Pinhole projection of (T, 33, 3) world points to (T, 33, 2) pixels, and depth."""
    yaw = np.radians(yaw_deg)
    centre = np.array([distance_m * np.sin(yaw), camera_height_m, distance_m * np.cos(yaw)])
    forward = np.array([-np.sin(yaw), 0.0, -np.cos(yaw)])
    right = np.array([np.cos(yaw), 0.0, -np.sin(yaw)])
    down = np.array([0.0, -1.0, 0.0])
    rel = world - centre
    x_c, y_c, z_c = rel @ right, rel @ down, rel @ forward
    focal = 0.8 * height * distance_m / 1.85  # a 1.85 m person fills 80 % of the height
    u, v = focal * x_c / z_c, focal * y_c / z_c + 0.12 * height
    roll = np.radians(roll_deg)  # clockwise on screen (y down)
    u, v = u * np.cos(roll) - v * np.sin(roll), u * np.sin(roll) + v * np.cos(roll)
    xy = np.stack([u + width / 2, v + height / 2], -1)
    if mirrored:
        xy[..., 0] = width - xy[..., 0]
    return xy


def _fppa_projected(xy, stance):
    """FPPA of each stance leg from projected points (independent of knee_cv).

    Magnitude by the law of cosines at the knee; sign from the projected
    geometry: positive (valgus) when the knee lies on the same side of the
    hip-ankle line as the other hip.
    """

    def side(a, b, p):  # which side of the line a -> b the point p lies on
        return np.sign((b[:, 0] - a[:, 0]) * (p[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (p[:, 0] - a[:, 0]))

    out = {}
    for leg, (h, k, a, other) in {
        "left": (L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE, L.RIGHT_HIP),
        "right": (L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE, L.LEFT_HIP),
    }.items():
        thigh = np.linalg.norm(xy[:, k] - xy[:, h], axis=-1)
        shank = np.linalg.norm(xy[:, a] - xy[:, k], axis=-1)
        chord = np.linalg.norm(xy[:, a] - xy[:, h], axis=-1)
        cos_inner = np.clip((thigh**2 + shank**2 - chord**2) / (2 * thigh * shank), -1, 1)
        magnitude = 180.0 - np.degrees(np.arccos(cos_inner))
        sign = np.where(side(xy[:, h], xy[:, a], xy[:, k]) == side(xy[:, h], xy[:, a], xy[:, other]), 1.0, -1.0)
        out[leg] = np.where(stance == leg, sign * magnitude, np.nan)
    return out


def synthetic_squats(
    n_reps: int = 5,
    stance_legs="left",
    tempo_s=2.0,
    pause_s: float = 0.3,
    depth: float = 0.25,
    valgus_deg: float = 10.0,
    pelvic_drop_deg: float = 5.0,
    trunk_lean_deg: float = 0.0,
    roll_deg: float = 0.0,
    yaw_deg: float = 0.0,
    fps: float = 30.0,
    jitter_px: float = 0.0,
    dropout_rate: float = 0.0,
    seed: int = 0,
    size: tuple[int, int] = (1080, 1920),
    mirrored: bool = False,
    standing_s: float = 1.5,
    distance_m: float = 3.5,
    camera_height_m: float = 0.7,
    variable_dt: bool = False,
    two_foot_phases: bool = True,
) -> tuple[PoseTrack, dict]:
    """A PoseTrack of single-leg squats with known valgus and pelvic drop.

    Parameters
    ----------
    n_reps : int
    stance_legs : str or sequence of str
        "left"/"right" for all reps, or one per rep.
    tempo_s : float or sequence of float
        Descent + ascent time of each rep, s (not counting the pause).
    pause_s : float
        Time held at the bottom, s.
    depth : float
        Hip drop at the bottom, fraction of leg length (hip to ankle).
    valgus_deg : float
        Stance-leg FPPA at the bottom in a frontal orthographic view (see
        module docstring); negative = varus.
    pelvic_drop_deg : float
        Free-side pelvic drop at the bottom, deg.
    trunk_lean_deg : float
        Lateral trunk lean toward the stance leg at the bottom, deg.
    roll_deg, yaw_deg : float
        Camera roll (clockwise on screen) and yaw (toward the person's left), deg.
    fps : float
    jitter_px : float
        Standard deviation of Gaussian pixel noise added to every coordinate.
    dropout_rate : float
        Share of frames turned into "no pose" (all NaN), chosen at random.
    seed : int
    size : (int, int)
        Frame width and height in pixels.
    mirrored : bool
        Flip x as a selfie view (labels stay the person's own).
    standing_s : float
        Standing on both feet before the first rep (also 1 s after the last).
    distance_m, camera_height_m : float
    variable_dt : bool
        Jitter the frame times by up to +-30 % of a frame step (phone video).
    two_foot_phases : bool
        False: the free foot is held up for the whole recording (no frame on
        both feet, as when a phone clip starts with the foot already lifted);
        every rep must then have the same stance leg.

    Returns
    -------
    track : PoseTrack
    truth : dict
        ``fppa_left``, ``fppa_right`` (T,) deg as projected (NaN where that
        leg is not the stance leg); ``valgus_design`` (T,) the frontal value;
        ``pelvic_drop`` (T,) deg; ``trunk_lean`` (T,) deg; ``stance`` (T,)
        "left"/"right"/"both"; ``free_foot_lifted`` (T,) bool;
        ``squat_phase`` (T,) 0..1; ``reps`` list of (start, bottom, end) frame;
        ``rep_legs`` list of str; ``standing`` (T,) bool (both feet down, no
        squat); ``depth`` float.
    """
    rng = np.random.default_rng(seed)
    legs = [stance_legs] * n_reps if isinstance(stance_legs, str) else list(stance_legs)
    tempos = np.broadcast_to(np.asarray(tempo_s, dtype=float), (n_reps,))
    duration = standing_s + sum(2 * LIFT_S + t + pause_s + 0.6 for t in tempos) + 1.0
    t = np.arange(0.0, duration, 1.0 / fps)
    if variable_dt:
        t = t + rng.uniform(-0.3, 0.3, len(t)) / fps
        t[0] = 0.0
    tl = _timeline(t, n_reps, legs, tempos, pause_s, standing_s, two_foot_phases)
    width, height = size

    def frontal(points):
        return _project(points[:, None], width, height, distance_m, camera_height_m, 0.0, 0.0, False)[:, 0]

    world = _body(tl, depth, valgus_deg, pelvic_drop_deg, trunk_lean_deg, frontal)
    xy = _project(world, width, height, distance_m, camera_height_m, yaw_deg, roll_deg, mirrored)
    truth_fppa = _fppa_projected(xy, tl.stance)
    xy = xy + rng.normal(0.0, jitter_px, xy.shape) if jitter_px else xy
    n = len(t)
    visibility = np.full((n, NUM_LANDMARKS), 0.98)
    presence = np.full((n, NUM_LANDMARKS), 0.99)
    world_hip_centred = world - 0.5 * (world[:, [L.LEFT_HIP]] + world[:, [L.RIGHT_HIP]])
    dropped = rng.random(n) < dropout_rate
    xy[dropped] = np.nan
    visibility[dropped] = presence[dropped] = np.nan
    world_hip_centred[dropped] = np.nan
    track = PoseTrack(
        t=t,
        xy=xy,
        visibility=visibility,
        presence=presence,
        world=world_hip_centred,
        width=width,
        height=height,
        fps=fps,
        model="synthetic",
        people=(~dropped).astype(int),
        source=f"synthetic seed {seed}",
    )
    truth = {
        "fppa_left": truth_fppa["left"],
        "fppa_right": truth_fppa["right"],
        "valgus_design": valgus_deg * tl.squat,
        "pelvic_drop": pelvic_drop_deg * tl.squat,
        "trunk_lean": trunk_lean_deg * tl.squat,
        "stance": tl.stance.astype(str),
        "free_foot_lifted": tl.lift > 0.5,
        "squat_phase": tl.squat,
        "reps": tl.reps,
        "rep_legs": legs,
        "standing": (tl.stance == "both") & (tl.squat == 0),
        "depth": depth,
    }
    return track, truth
