"""Accuracy of the analysis against ground truth that does not come from knee_cv.

Two tables:

* synthetic single-leg squats with known geometry (``tests/synthetic.py``):
  reps found vs made, stance legs, FPPA at the deepest point and pelvic
  drop against the values built into the 3D model, with camera roll and yaw,
  pixel jitter, dropouts and recordings without a phase on both feet;
* the real frontal single-leg squats in ``../shared/videos``: reps and stance
  legs found against those verified by looking (``tests/data/sls_front_reps.csv``)
  and FPPA against hip, knee and ankle digitised by hand on the deepest
  frames (``tests/data/sls_front_manual_points.csv``).

Run: ``python scripts/bench_accuracy.py`` (the real-clip table needs the shared
folder; set KNEE_CV_SHARED to point elsewhere). Not a test: it prints numbers.
"""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from regression import track_of_video  # noqa: E402
from synthetic import synthetic_squats  # noqa: E402

from knee_cv.core import kinematics as kin  # noqa: E402
from knee_cv.core.analysis import analyze, measured_landmarks, standing_leg_length  # noqa: E402
from knee_cv.core.thresholds import load_thresholds  # noqa: E402
from knee_cv.core.uncertainty import fit, knee_displacement, rep_intervals, residuals  # noqa: E402

SHARED = Path(os.environ.get("KNEE_CV_SHARED", ROOT.parent / "shared"))
DATA = ROOT / "tests" / "data"

#: name -> synthetic_squats options
SYNTHETIC_CASES = {
    "clean, level camera": dict(),
    "roll 3.6, yaw 7, jitter 3 px, 5 % dropouts": dict(roll_deg=3.6, yaw_deg=7.0, jitter_px=3.0, dropout_rate=0.05),
    "roll 3.6, no two-foot phase, jitter 1 px": dict(roll_deg=3.6, two_foot_phases=False, jitter_px=1.0),
    "roll -3, no two-foot phase, jitter 3 px, 5 % dropouts": dict(
        roll_deg=-3.0, two_foot_phases=False, jitter_px=3.0, dropout_rate=0.05
    ),
    "720p landscape, jitter 3 px, 5 % dropouts": dict(size=(1280, 720), jitter_px=3.0, dropout_rate=0.05),
    "720p, roll 3.6, yaw 7, jitter 3 px, 5 % dropouts": dict(
        size=(1280, 720), roll_deg=3.6, yaw_deg=7.0, jitter_px=3.0, dropout_rate=0.05
    ),
}


def synthetic_rows(seeds=range(5)):
    """One row per case: worst errors over ``seeds`` recordings of 5 reps each."""
    rows = []
    for name, options in SYNTHETIC_CASES.items():
        found = made = legs_ok = reliable = 0
        fppa_err, drop_err, conf = [], [], []
        for seed in seeds:
            legs = ["left"] * 5 if options.get("two_foot_phases") is False else ["left", "right"] * 2 + ["left"]
            track, truth = synthetic_squats(
                n_reps=5, stance_legs=legs, valgus_deg=12.0, pelvic_drop_deg=6.0, seed=seed, **options
            )
            result = analyze(track)
            made += len(truth["reps"])
            found += len(result.reps)
            for rep in result.reps:
                k = int(np.argmin([abs(rep.bottom_frame - b) for _, b, _ in truth["reps"]]))
                bottom = truth["reps"][k][1]
                legs_ok += rep.leg == truth["rep_legs"][k]
                fppa_err.append(rep.fppa_bottom_deg - truth[f"fppa_{truth['rep_legs'][k]}"][bottom])
                drop_err.append(rep.pelvic_drop_bottom_deg - truth["pelvic_drop"][bottom])
                conf.append(rep.confidence)
                reliable += rep.reliable
        fppa_err, drop_err = np.abs(fppa_err), np.abs(drop_err)
        rows.append(
            [
                name,
                f"{found}/{made}",
                f"{legs_ok}/{made}",
                f"{reliable}/{found}",
                f"{np.nanmean(fppa_err):.2f} / {np.nanmax(fppa_err):.2f}",
                f"{np.nanmean(drop_err):.2f} / {np.nanmax(drop_err):.2f}",
                f"{min(conf):.2f}",
            ]
        )
    return [
        "case (5 seeds x 5 reps)",
        "reps found",
        "stance legs right",
        "reliable",
        "|FPPA err| mean / max deg",
        "|pelvic drop err| mean / max deg",
        "min confidence",
    ], rows


def _read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def manual_fppa(hip, knee, ankle, other_hip) -> float:
    """FPPA (deg, + = valgus) of hand-digitised points: the angle between thigh and shank.

    Computed here without knee_cv: 180 minus the inner angle at the knee, positive
    when the knee lies on the other hip's side of the hip-ankle line.
    """
    hip, knee, ankle, other_hip = (np.asarray(p, float) for p in (hip, knee, ankle, other_hip))
    a, b = hip - knee, ankle - knee
    inner = np.degrees(np.arccos(np.clip(a @ b / np.linalg.norm(a) / np.linalg.norm(b), -1, 1)))
    line = ankle - hip
    side_knee = np.sign(line[0] * (knee - hip)[1] - line[1] * (knee - hip)[0])
    side_other = np.sign(line[0] * (other_hip - hip)[1] - line[1] * (other_hip - hip)[0])
    return float((180.0 - inner) * (1 if side_knee == side_other else -1))


def real_rows():
    """Rows for the real frontal clips (None without the shared folder or the annotations).

    Per clip: reps and stance legs found against those verified by looking.
    Per hand-digitised frame (standing and deepest frames whose FPPA a
    person could measure): the manual FPPA, knee_cv's per-frame FPPA at that
    frame (the cleaned landmarks) and, at a deepest frame, the rep's FPPA
    (median over its bottom frames) and whether the rep is reliable.
    """
    reps_csv, points_csv = DATA / "sls_front_reps.csv", DATA / "sls_front_manual_points.csv"
    if not (SHARED / "videos").is_dir() or not reps_csv.exists() or not points_csv.exists():
        return None
    truth, points = _read_csv(reps_csv), _read_csv(points_csv)
    clips, frames = [], []
    for clip in dict.fromkeys(row["clip"] for row in truth):
        track = track_of_video(SHARED / "videos" / f"{clip}.mp4")
        result = analyze(track)
        expected = [row for row in truth if row["clip"] == clip]
        clips.append(
            [
                clip,
                f"{len(result.reps)} / {len(expected)}",
                " ".join(r.leg[0].upper() for r in result.reps) or "-",
                " ".join(row["stance_leg"][0].upper() for row in expected) or "-",
                f"{sum(r.reliable for r in result.reps)}",
            ]
        )
        for row in (p for p in points if p["clip"] == clip and p["fppa_measurable"] == "yes"):
            t, side = float(row["t_s"]), row["leg"]
            other = "right" if side == "left" else "left"
            manual = manual_fppa(
                *[(float(row[f"{j}_x"]), float(row[f"{j}_y"])) for j in ("hip", "knee", "ankle")],
                (float(row[f"{other}_hip_x"]), float(row[f"{other}_hip_y"])),
            )
            frame = float(result.series.leg(side).fppa[int(np.argmin(np.abs(track.t - t)))])
            rep = min(result.reps, key=lambda r: abs(r.t_bottom - t), default=None)
            at_bottom = row["phase"] == "bottom" and rep is not None and abs(rep.t_bottom - t) < 0.5
            frames.append(
                [
                    clip,
                    row["phase"],
                    side,
                    f"{t:.2f}",
                    f"{manual:.1f}",
                    f"{frame:.1f}",
                    f"{frame - manual:+.1f}",
                    f"{rep.fppa_bottom_deg:.1f}" if at_bottom else "-",
                    ("yes" if rep.reliable else "no") if at_bottom else "-",
                ]
            )
    return (
        ["clip", "reps found / verified", "stance legs found", "stance legs verified", "reliable reps"],
        clips,
        [
            "clip",
            "frame",
            "leg",
            "t s",
            "manual FPPA",
            "knee_cv FPPA at the frame",
            "difference",
            "knee_cv rep FPPA",
            "rep reliable",
        ],
        frames,
    )


def _hand_frames(clips: dict) -> list[dict]:
    """Every hand-digitised frame a person could measure, beside knee_cv's cleaned landmarks there.

    The standing and deepest frames (``sls_front_manual_points.csv``) and
    those part-way down or up (``sls_front_manual_points_partway.csv``).

    ``clips`` maps a clip to its (track, cleaned landmarks). Each frame: the
    clip, phase, leg and time, the hand's and knee_cv's hip, knee, ankle and
    other hip (shape (4, 2), px), the standing leg length (px) and the rep
    the frame is the bottom of (0 for standing).
    """
    frames = []
    for row in _read_csv(DATA / "sls_front_manual_points.csv") + _read_csv(DATA / "sls_front_manual_points_partway.csv"):
        if row["fppa_measurable"] != "yes" or row["clip"] not in clips:
            continue
        track, xy = clips[row["clip"]]
        i = int(np.argmin(np.abs(track.t - float(row["t_s"]))))
        side, other = row["leg"], "right" if row["leg"] == "left" else "left"
        names = [f"{j}_{a}" for j in ("hip", "knee", "ankle", f"{other}_hip") for a in ("x", "y")]
        hand = np.array([float(row[n]) for n in names]).reshape(4, 2)
        ours = xy[i, [*kin.LEG_LANDMARKS[side], kin.LEG_LANDMARKS[other][0]]]
        frames.append(
            dict(
                clip=row["clip"],
                phase=row["phase"],
                leg=side,
                t=float(row["t_s"]),
                rep=int(row["rep"]),
                hand=hand,
                ours=ours,
                leg_px=standing_leg_length(xy),
            )
        )
    return frames


def _displacement(points: np.ndarray, leg: str, leg_px: float) -> float:
    """Medial knee displacement (leg lengths) of hip, knee, ankle and other hip points, shape (4, 2)."""
    body = np.full((1, 33, 2), np.nan)
    other = kin.LEG_LANDMARKS["right" if leg == "left" else "left"][0]
    body[0, [*kin.LEG_LANDMARKS[leg], other]] = points
    return float(knee_displacement(body, leg, leg_px)[0])


def placement_rows():
    """The placement error model checked leave-one-clip-out on the hand-digitised frames.

    For each clip the model is fitted (:func:`knee_cv.core.uncertainty.fit`)
    on the other clips' frames only, and each of this clip's frames gets its
    interval from knee_cv's landmarks there; the table says whether it holds
    the hand's FPPA and knee displacement (same leg length for both). Then
    each rep whose bottom was digitised is analysed with its held-out model
    and its interval checked the same way. Also the model fitted on all
    frames (what ``thresholds.toml`` holds). None without the shared videos.
    """
    if not (SHARED / "videos").is_dir():
        return None
    thresholds = load_thresholds()
    names = dict.fromkeys(row["clip"] for row in _read_csv(DATA / "sls_front_manual_points.csv"))
    clips = {}
    for clip in names:
        track = track_of_video(SHARED / "videos" / f"{clip}.mp4")
        clips[clip] = (track, measured_landmarks(track, filters=thresholds.filters))
    frames = [f for f in _hand_frames(clips) if np.isfinite(f["ours"]).all()]
    errors = {id(f): residuals(f["ours"], f["hand"], f["leg_px"]) for f in frames}
    table, rep_table, held_out = [], [], {}
    for clip in names:
        model = fit([errors[id(f)] for f in frames if f["clip"] != clip], thresholds.placement_error.coverage)
        held_out[clip] = model
        for f in (f for f in frames if f["clip"] == clip):
            hand, ours = manual_fppa(*f["hand"]), manual_fppa(*f["ours"])
            bounds = rep_intervals(f["ours"], f["leg"], f["leg_px"], model)
            low, high = bounds.fppa_deg
            d_hand, d_ours = _displacement(f["hand"], f["leg"], f["leg_px"]), _displacement(f["ours"], f["leg"], f["leg_px"])
            d_low, d_high = bounds.knee_displacement
            table.append(
                [
                    clip.removeprefix("sls_front_"),
                    f["phase"],
                    f["leg"],
                    f"{f['t']:.2f}",
                    f"{hand:.1f}",
                    f"{ours:.1f}",
                    f"{low:.1f} to {high:.1f}",
                    "yes" if low <= hand <= high else "NO",
                    f"{high - low:.1f}",
                    f"{d_hand:+.3f}",
                    f"{d_ours:+.3f}",
                    f"{d_low:+.3f} to {d_high:+.3f}",
                    "yes" if d_low <= d_hand <= d_high else "NO",
                ]
            )
    for clip, model in held_out.items():
        bottoms = [f for f in frames if f["clip"] == clip and f["phase"] == "bottom"]
        if not bottoms:
            continue
        table_model = {"bias": model.bias.tolist(), "sd": model.sd.tolist(), "n_frames": model.n_frames}
        analysis = analyze(clips[clip][0], thresholds=load_thresholds(overrides={"placement_error": table_model}))
        for f in bottoms:
            rep = min(analysis.reps, key=lambda r: abs(r.t_bottom - f["t"]), default=None)
            if rep is None or abs(rep.t_bottom - f["t"]) > 0.5:
                continue
            hand = manual_fppa(*f["hand"])
            low, high = rep.fppa_low_deg, rep.fppa_high_deg
            rep_table.append(
                [
                    clip.removeprefix("sls_front_"),
                    str(rep.index + 1),
                    "yes" if rep.reliable else "no",
                    f"{hand:.1f}",
                    f"{rep.fppa_bottom_deg:.1f}",
                    f"{low:.1f} to {high:.1f}",
                    "yes" if low <= hand <= high else "NO",
                    f"{high - low:.1f}",
                    f"{_displacement(f['hand'], f['leg'], f['leg_px']):+.3f}",
                    f"{rep.knee_displacement:+.3f}",
                ]
            )
    return (
        [
            "clip",
            "frame",
            "leg",
            "t s",
            "hand FPPA",
            "knee_cv FPPA",
            "interval (held out)",
            "holds hand",
            "width deg",
            "hand displ.",
            "knee_cv displ.",
            "displ. interval",
            "holds hand",
        ],
        table,
        [
            "clip",
            "rep",
            "reliable",
            "hand FPPA",
            "knee_cv rep FPPA",
            "rep interval (held out)",
            "holds hand",
            "width deg",
            "hand displ.",
            "knee_cv rep displ.",
        ],
        rep_table,
        fit(list(errors.values()), thresholds.placement_error.coverage),
    )


def _print_placement(placement) -> None:
    header, rows, rep_header, rep_rows, model = placement
    print("\n## Intervals against the hand, leave-one-clip-out (each clip's model fitted on the other clips)\n")
    _print_table(header, rows)
    widths = np.array([float(r[8]) for r in rows])
    fppa_diff = np.array([abs(float(r[5]) - float(r[4])) for r in rows])
    disp_diff = np.array([abs(float(r[10]) - float(r[9])) for r in rows])
    held = sum(r[7] == "yes" for r in rows)
    print(
        f"\nFPPA: the {100 * model.coverage:.0f} % interval holds the hand value in {held}/{len(rows)} frames "
        f"({100 * held / len(rows):.0f} %), median width {np.median(widths):.1f} deg (max {widths.max():.1f}); "
        f"|knee_cv - hand| mean {fppa_diff.mean():.1f} deg, max {fppa_diff.max():.1f}."
    )
    held = sum(r[12] == "yes" for r in rows)
    print(
        f"Knee displacement: the interval holds the hand value in {held}/{len(rows)} frames; |knee_cv - hand| "
        f"mean {disp_diff.mean():.3f}, max {disp_diff.max():.3f} leg lengths."
    )
    if rep_rows:
        print("\nReps whose bottom was digitised (rep value: median over the bottom frames):\n")
        _print_table(rep_header, rep_rows)
    np.set_printoptions(precision=3, suppress=True)
    print(
        f"\nModel on all {model.n_frames} frames (thresholds.toml [placement_error]; rows hip, knee, ankle; "
        f"columns along, across; leg lengths):\nbias = {model.bias.round(3).tolist()}\nsd = {model.sd.round(3).tolist()}"
    )


def _print_table(header, rows) -> None:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print(line(row))


def main() -> None:
    print("## Synthetic single-leg squats (valgus 12 deg, pelvic drop 6 deg at the bottom)\n")
    _print_table(*synthetic_rows())
    real = real_rows()
    print("\n## Real frontal single-leg squats\n")
    if real is None:
        print(f"skipped: no shared videos at {SHARED / 'videos'} or no annotations in {DATA}")
        return
    clip_header, clip_rows, frame_header, frame_rows = real
    _print_table(clip_header, clip_rows)
    print("\nFPPA against hip, knee and ankle digitised by hand (frames where a person could measure it):\n")
    _print_table(frame_header, frame_rows)
    diffs = np.array([float(r[6]) for r in frame_rows])
    diffs = diffs[np.isfinite(diffs)]
    if diffs.size:
        print(
            f"\nknee_cv FPPA minus manual FPPA over {diffs.size} frames: mean |difference| "
            f"{np.mean(np.abs(diffs)):.1f} deg, max {np.max(np.abs(diffs)):.1f} deg, "
            f"mean signed {np.mean(diffs):+.1f} deg"
        )
    _print_placement(placement_rows())


if __name__ == "__main__":
    main()
