"""Rep clips kept with a session and clinicians' measurements of reps, in the store (SQLite and PostgreSQL).

The clips here are small stand-in bytes with real-shaped landmarks (the store does not decode them);
the real clips of a real video are made and saved in the browser test (test_rep_check_browser.py).
"""

from __future__ import annotations

import csv
import io
import math
import sqlite3
import subprocess

import numpy as np
import pytest
from sqlalchemy import text
from test_store import sample_analysis

from knee_cv.core.evidence import RepClip
from knee_cv.core.landmarks import Landmark
from knee_cv.core.rerated import rerated
from knee_cv.report import exports, pdf
from knee_cv.store import evidence, measurements
from knee_cv.store import sessions as store

MARKER = b"\x00\x00\x00\x18ftypisomSECRET-REP-PIXELS"


def _clip(analysis, index: int, payload: bytes = MARKER) -> RepClip:
    """A stand-in clip of one rep: a right-leg frontal stick figure on each of the rep's frames."""
    rep = analysis.reps[index]
    frames = np.arange(rep.start_frame, rep.end_frame + 1)
    xy = np.full((len(frames), 33, 2), np.nan)
    for leg, x in (("RIGHT", 500.0), ("LEFT", 580.0)):
        xy[:, Landmark[f"{leg}_HIP"]] = (x, 900.0)
        xy[:, Landmark[f"{leg}_KNEE"]] = (x + (10.0 if leg == "RIGHT" else -10.0), 1150.0)
        xy[:, Landmark[f"{leg}_ANKLE"]] = (x, 1400.0)
    return RepClip(mp4=payload, frames=frames, t=frames / 30.0, xy=xy, scale=np.array([0.5, 0.5]))


def _count(db_url: str, table: str) -> int:
    with store.open_engine(db_url).connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def test_clips_are_kept_with_the_session_and_deleted_with_it(db_url, tmp_path):
    analysis = sample_analysis()
    clips = {2: _clip(analysis, 2), 3: _clip(analysis, 3)}
    sid = store.save_analysis(analysis, "P001", rep_clips=clips, saved_by="dr test", db_url=db_url).id
    assert store.save_analysis(analysis, "P001", rep_clips=clips, saved_by="dr test", db_url=db_url).created is False
    assert _count(db_url, "rep_clips") == 2  # a save happens once, clips too
    back = measurements.load_rep_clip(sid, 2, db_url=db_url)
    assert back.mp4 == MARKER and np.array_equal(back.frames, clips[2].frames)
    assert back.xy.tobytes() == clips[2].xy.tobytes() and np.array_equal(back.scale, [0.5, 0.5])
    assert measurements.load_rep_clip(sid, 0, db_url=db_url) is None
    assert set(measurements.clip_sizes(sid, db_url=db_url)) == {2, 3}
    other = store.save_analysis(analysis, "P002", saved_by="dr test", db_url=db_url).id
    assert measurements.clip_sizes(other, db_url=db_url) == {}  # saved without consent: nothing kept
    measurements.add_measurement(
        sid,
        2,
        frame=int(clips[2].frames[5]),
        measured_by="dr a",
        db_url=db_url,
        points={"RIGHT_HIP": (500, 900), "RIGHT_KNEE": (530, 1150), "RIGHT_ANKLE": (500, 1400), "LEFT_HIP": (580, 900)},
    )

    store.delete_session(sid, deleted_by="dr test", db_url=db_url)
    assert _count(db_url, "rep_clips") == 0 and _count(db_url, "measurements") == 0
    assert [s.code for s in store.list_subjects(db_url=db_url)] == ["P001", "P002"]
    if db_url.startswith("sqlite"):  # secure_delete: the clip's bytes are gone from the file itself
        store.open_engine(db_url).dispose()
        path = tmp_path / "knee.sqlite3"
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        assert MARKER not in path.read_bytes()


def test_clips_over_the_limits_or_for_unknown_reps_save_nothing(db_url, monkeypatch):
    analysis = sample_analysis()
    big = _clip(analysis, 0, b"x" * (evidence.MAX_CLIP_BYTES + 1))
    with pytest.raises(store.StoreError, match="over the 3 MB a rep's clip may be"):
        store.save_analysis(analysis, "P001", rep_clips={0: big}, saved_by="dr test", db_url=db_url)
    with pytest.raises(store.StoreError, match=r"reps \[7\]"):
        store.save_analysis(analysis, "P001", rep_clips={7: _clip(analysis, 0)}, saved_by="dr test", db_url=db_url)
    monkeypatch.setattr(evidence, "MAX_SESSION_CLIP_BYTES", 2 * len(MARKER) - 1)
    with pytest.raises(store.StoreError, match="a session may keep"):
        store.save_analysis(
            analysis, "P001", rep_clips={0: _clip(analysis, 0), 2: _clip(analysis, 2)}, saved_by="dr test", db_url=db_url
        )
    assert store.list_subjects(db_url=db_url) == [] and _count(db_url, "rep_clips") == 0


def test_a_measurement_is_the_reported_value_until_undone(db_url, tmp_path):
    analysis = sample_analysis()
    clip = _clip(analysis, 2)
    sid = store.save_analysis(analysis, "P001", rep_clips={2: clip}, saved_by="dr test", db_url=db_url).id
    frame = int(clip.frames[10])
    points = {
        "RIGHT_HIP": (500.0, 900.0),
        "RIGHT_KNEE": (540.0, 1150.0),
        "RIGHT_ANKLE": (500.0, 1400.0),
        "LEFT_HIP": (580.0, 900.0),
    }
    with pytest.raises(store.StoreError, match="exactly the points"):
        measurements.add_measurement(sid, 2, frame=frame, points={"RIGHT_KNEE": (1, 2)}, measured_by="dr a", db_url=db_url)
    with pytest.raises(store.StoreError, match="not one of rep 3's frames"):
        measurements.add_measurement(sid, 2, frame=0, points=points, measured_by="dr a", db_url=db_url)
    with pytest.raises(store.StoreError, match="No clip was kept of rep 1"):
        measurements.add_measurement(sid, 0, frame=frame, points=points, measured_by="dr a", db_url=db_url)
    with pytest.raises(store.StoreError, match="say who you are"):
        measurements.add_measurement(sid, 2, frame=frame, points=points, measured_by=" ", db_url=db_url)

    info = measurements.add_measurement(sid, 2, frame=frame, points=points, measured_by="dr a", db_url=db_url)
    thigh, shank = np.subtract((540, 1150), (500, 900)), np.subtract((500, 1400), (540, 1150))
    # the knee medial of the hip-ankle line: valgus, positive
    expected = math.degrees(math.atan2(abs(thigh[0] * shank[1] - thigh[1] * shank[0]), np.dot(thigh, shank)))
    assert info.fppa_deg == pytest.approx(expected) and info.measured_by == "dr a"
    assert (info.frame, info.t_s, info.auto_fppa_deg) == (frame, pytest.approx(frame / 30.0), 6.125)
    # sample_analysis has no roll from standing frames: the level is recovered from the saved series
    assert math.isfinite(info.pelvic_drop_deg)

    rows = {(r.session_id, r.leg): r for r in store.history("P001", db_url=db_url)}
    right = rows[(sid, "right")]
    assert right.fppa_deg == pytest.approx((info.fppa_deg + 5.5) / 2)  # rep 3 measured, rep 4 automatic
    assert right.measured == f"rep 3: measured by dr a on frame {frame + 1} ({frame / 30:.2f} s)"
    assert rows[(sid, "left")].fppa_deg == 17.25 and rows[(sid, "left")].measured == ""
    table = list(csv.DictReader(io.StringIO(exports.history_csv("P001", db_url=db_url))))
    assert [r["measured"] for r in table] == ["", right.measured]
    path = tmp_path / "report.pdf"
    pdf.write_pdf(sid, path, db_url=db_url)
    report = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert f"{info.fppa_deg:.0f}*" in report  # the rep table, marked
    assert f"Measured by hand: rep 3: FPPA {info.fppa_deg:.1f} deg" in " ".join(report.split())
    assert "measured by dr a on frame" in report
    assert "automatic: FPPA 6.1 deg" in report

    measurements.undo_measurement(info.id, undone_by="dr b", db_url=db_url)
    with pytest.raises(store.StoreError, match="undone already"):
        measurements.undo_measurement(info.id, undone_by="dr b", db_url=db_url)
    assert measurements.standing_measurements(sid, db_url=db_url) == {}
    right = next(r for r in store.history("P001", db_url=db_url) if r.leg == "right")
    assert right.fppa_deg == 5.8125 and right.measured == ""
    (logged,) = measurements.measurement_log(sid, db_url=db_url)
    assert (logged.measured_by, logged.undone_by) == ("dr a", "dr b") and logged.undone_at >= logged.created_at
    assert _count(db_url, "measurements") == 2  # the measurement and its undoing, both kept


def test_flags_and_ratings_follow_a_measurement_until_it_is_undone(db_url, tmp_path):
    """Rep 1 (left, flagged for valgus at 17.25 deg) measured straight: its flag goes, the ratings follow."""
    analysis = sample_analysis()
    clip = _clip(analysis, 0)
    sid = store.save_analysis(analysis, "P001", rep_clips={0: clip}, saved_by="dr test", db_url=db_url).id
    assert store.get_session(sid, db_url=db_url).rating == "poor"
    points = {
        "LEFT_HIP": (580.0, 900.0),
        "LEFT_KNEE": (580.0, 1150.0),
        "LEFT_ANKLE": (580.0, 1400.0),
        "RIGHT_HIP": (500.0, 900.0),
    }
    info = measurements.add_measurement(sid, 0, frame=int(clip.frames[3]), points=points, measured_by="dr a", db_url=db_url)
    assert info.fppa_deg == pytest.approx(0.0, abs=1e-9)
    rated = rerated(analysis, {0: info.measured()})
    assert [f.criterion for f in rated.reps[0].flags] == ["shallow"]  # no valgus, no pelvic drop: 12 % deep only
    left = next(r for r in store.history("P001", db_url=db_url) if r.leg == "left")
    assert left.rating == rated.summary.legs[0].rating == "fair" and left.fppa_deg == pytest.approx(0.0, abs=1e-9)
    assert store.get_session(sid, db_url=db_url).rating == rated.summary.rating == "fair"
    table = list(csv.DictReader(io.StringIO(exports.history_csv("P001", db_url=db_url))))
    assert [r["rating"] for r in table] == ["fair", "good"]
    assert [(r["automatic_rating"], r["automatic_fppa_deg"]) for r in table] == [("poor", "17.25"), ("good", "5.8125")]
    path = tmp_path / "report.pdf"
    pdf.write_pdf(sid, path, db_url=db_url)
    report = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "Overall: FAIR (automatic: POOR)" in report
    flat = " ".join(report.split())
    assert "1 (left)+ FPPA 17.2 deg is above" in flat and "1 (left)+ Pelvic drop 7.5 deg" in flat  # kept, marked
    assert "1 (left)*" in flat and "Shallow squat" in flat  # raised on the measured rep
    assert "+ Found on the automatic value, not raised on the value measured by hand." in flat
    assert "Left vs right: FPPA 0.0 vs 5.8 deg" in report and "and the ratings follow them" in report

    measurements.undo_measurement(info.id, undone_by="dr a", db_url=db_url)
    assert store.get_session(sid, db_url=db_url).rating == "poor"
    assert next(r for r in store.history("P001", db_url=db_url) if r.leg == "left").rating == "poor"
