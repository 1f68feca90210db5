"""The clinician store on a real SQLite file: save, reload, transactions, concurrency, migrations."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import event, inspect, text

from knee_cv import store
from knee_cv.result import Analysis, Flag, LegSummary, Recommendation, Rep, Summary
from knee_cv.store_models import KeyFrameRow

NAN = float("nan")


def _rep(index: int, leg: str, fppa: float, drop: float, flags: list[Flag]) -> Rep:
    t0 = 1.0 + 2.5 * index
    return Rep(
        index=index,
        leg=leg,
        start_frame=30 + 75 * index,
        bottom_frame=60 + 75 * index,
        end_frame=90 + 75 * index,
        t_start=t0,
        t_bottom=t0 + 1.0,
        t_end=t0 + 2.0,
        depth=0.1234567890123 + index / 100,
        knee_flexion_deg=62.5 + index,
        fppa_bottom_deg=fppa,
        fppa_peak_deg=fppa + 1.0 / 3.0,
        pelvic_drop_bottom_deg=drop,
        pelvic_drop_peak_deg=drop + 0.1,
        trunk_lean_deg=-2.25,
        knee_wobble=NAN if index == 1 else 0.0123,
        confidence=0.9,
        reliable=index != 1,
        unreliable_reasons=["hip near knee height: projected angle unreliable"] if index == 1 else [],
        flags=flags,
    )


def sample_analysis(fppa_shift: float = 0.0) -> Analysis:
    """A hand-made session: 4 reps (2 per leg), 3 flags, NaN in places, a NaN series."""
    valgus = Flag("knee_valgus", 17.25 + fppa_shift, 12.0, "deg",
                  f"FPPA {17.25 + fppa_shift:.1f} deg is above 12.0 deg", "Herrington 2014")
    drop = Flag("pelvic_drop", 7.5, 5.0, "deg", "Pelvic drop 7.5 deg is above 5.0 deg", "heuristic")
    wobble = Flag("knee_wobble", 0.061, 0.05, "ratio", "Knee wobble 0.061 is above 0.050", "heuristic")
    reps = [
        _rep(0, "left", 17.25 + fppa_shift, 7.5, [valgus, drop]),
        _rep(1, "left", NAN, 3.0, []),
        _rep(2, "right", 6.125 + fppa_shift, 2.0, [wobble]),
        _rep(3, "right", 5.5 + fppa_shift, 1.5, []),
    ]
    legs = [
        LegSummary("left", 2, 1, 17.25 + fppa_shift, 7.5, -2.25, 0.0123, 0.1234567890123, "poor",
                   ["knee valgus above threshold"]),
        LegSummary("right", 2, 2, 5.8125 + fppa_shift, 1.75, -2.25, NAN, 0.14, "good", []),
    ]
    summary = Summary(
        n_reps=4, n_reliable=3, view="frontal", view_confidence=0.93, exercise="single_leg_squat",
        measurable=True, legs=legs, rating="poor", rating_reasons=["left knee valgus"], messages=[],
    )
    t = np.arange(240) / 30.0
    fppa = 5 + 10 * np.sin(t)
    fppa[17:20] = NAN
    series = {
        "t": t,
        "fppa_left": fppa,
        "fppa_right": -fppa / 2,
        "pelvic_drop": np.cos(t),
        "view": np.array(["frontal"] * 200 + ["unknown"] * 40),
    }
    return Analysis(
        series=series,
        reps=reps,
        shallow_dips=[(0.1, 0.4, 0.8)],
        summary=summary,
        recommendations=[
            Recommendation("clamshell", "Clamshells", "Lie on your side, knees bent, open the top knee.",
                           "3 x 15 each side", "Hip abductor strength for knee valgus"),
        ],
        safety_note="Screening, not diagnosis. See a clinician for sudden pain, swelling, locking or giving way.",
        thresholds={"knee_valgus_deg": {"value": 12.0, "source": "Herrington 2014"}},
        model="full sha256:0123abcd",
        source="clip.mp4",
    )


def assert_same_analysis(a: Analysis, b: Analysis) -> None:
    assert a.to_json(include_series=False) == b.to_json(include_series=False)
    assert a.series.keys() == b.series.keys()
    for name in a.series:
        x, y = np.asarray(a.series[name]), np.asarray(b.series[name])
        assert x.dtype == y.dtype, name
        if x.dtype.kind == "f":
            assert x.tobytes() == y.tobytes(), name  # bit for bit, NaN included
        else:
            assert np.array_equal(x, y), name
    for ra, rb in zip(a.reps, b.reps):
        for name, value in vars(ra).items():
            other = getattr(rb, name)
            assert type(value) is type(other), name


@pytest.fixture
def db_url(tmp_path):
    return f"sqlite:///{tmp_path / 'knee.sqlite3'}"


def _count(db_url: str, table: str) -> int:
    with store.open_engine(db_url).connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def test_save_and_reload_bit_for_bit(db_url):
    analysis = sample_analysis()
    frames = {0: b"\xff\xd8jpeg-0\xff\xd9", 2: b"\xff\xd8jpeg-2\xff\xd9"}
    when = datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc)
    sid = store.save_analysis(analysis, "P001", key_frames=frames, video_hash="ab" * 32, recorded_at=when,
                              db_url=db_url)
    again = store.load_analysis(sid, db_url=db_url)
    assert_same_analysis(analysis, again)
    assert np.isnan(again.reps[1].fppa_bottom_deg) and np.isnan(again.summary.legs[1].knee_wobble)
    assert again.reps[0].flags == analysis.reps[0].flags
    assert store.load_key_frames(sid, db_url=db_url) == frames
    info = store.get_session(sid, db_url=db_url)
    assert (info.subject, info.recorded_at, info.video_hash, info.n_reps, info.n_flags, info.n_open_flags) == (
        "P001", when, "ab" * 32, 4, 3, 3)
    assert info.rating == "poor"
    # NaN is NULL in the database, never 0
    with store.open_engine(db_url).connect() as conn:
        values = conn.execute(text("SELECT fppa_bottom_deg FROM reps ORDER BY rep_index")).scalars().all()
    assert values[1] is None and values[0] == 17.25


def test_failure_mid_save_leaves_nothing(db_url):
    store.save_analysis(sample_analysis(), "P001", db_url=db_url)  # an earlier session stays
    before = {t: _count(db_url, t) for t in ("subjects", "sessions", "reps", "flags", "key_frames")}

    def boom(*_args):
        raise RuntimeError("disk unplugged")

    event.listen(KeyFrameRow, "before_insert", boom)
    try:
        with pytest.raises(RuntimeError, match="disk unplugged"):
            store.save_analysis(sample_analysis(), "P002", key_frames={0: b"\xff\xd8x"}, db_url=db_url)
    finally:
        event.remove(KeyFrameRow, "before_insert", boom)
    after = {t: _count(db_url, t) for t in before}
    assert after == before
    assert [s.code for s in store.list_subjects(db_url=db_url)] == ["P001"]


SAVE_MANY = """
import sys, time
from pathlib import Path
from knee_cv import store
from test_store import sample_analysis
db_url, subject, go = sys.argv[1], sys.argv[2], Path(sys.argv[3])
while not go.exists():
    time.sleep(0.01)
for i in range(8):
    store.save_analysis(sample_analysis(float(i)), subject, key_frames={0: b"\\xff\\xd8" + bytes(5000)},
                        db_url=db_url)
"""


def test_two_processes_save_at_once(db_url, tmp_path):
    # A fresh file: both processes also race to create the schema. Plain subprocesses, not
    # multiprocessing: after an AppTest, __main__ is a page script that spawn would rerun.
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
    processes = [subprocess.Popen([sys.executable, "-c", SAVE_MANY, db_url, subject, str(go)], env=env)
                 for subject in ("A1", "B2")]
    go.touch()
    assert [process.wait(timeout=120) for process in processes] == [0, 0]
    assert [s.n_sessions for s in store.list_subjects(db_url=db_url)] == [8, 8]
    assert _count(db_url, "reps") == 16 * 4


def test_migrating_first_revision_keeps_data(db_url, tmp_path):
    old = store.make_engine(db_url)
    store.migrate(old, "0001")
    assert "series_npz" not in {c["name"] for c in inspect(old).get_columns("sessions")}
    now = "2025-01-02 03:04:05.000000"
    rep = {k: v for k, v in sample_analysis().to_dict(include_series=False)["reps"][0].items() if k != "flags"}
    summary = sample_analysis().to_dict(include_series=False)["summary"]
    with old.begin() as conn:
        conn.execute(text("INSERT INTO subjects (id, code, sex, painful_side, notes, created_at) "
                          "VALUES (1, 'OLD1', 'female', 'left', 'from v0.0', :now)"), {"now": now})
        conn.execute(text(
            "INSERT INTO sessions (id, subject_id, recorded_at, created_at, source, video_hash, model, "
            "thresholds_json, summary_json, recommendations_json, shallow_dips_json, safety_note) VALUES "
            "(7, 1, :now, :now, 'old.mp4', NULL, 'lite', '{}', :summary, '[]', '[]', 'screening only')"),
            {"now": now, "summary": json.dumps(summary)})
        conn.execute(text("INSERT INTO reps (id, session_id, rep_index, leg, reliable, fppa_bottom_deg, "
                          "pelvic_drop_bottom_deg, data) VALUES (1, 7, 0, 'left', 1, 17.25, 7.5, :data)"),
                     {"data": json.dumps(rep)})
        conn.execute(text("INSERT INTO flags (id, rep_id, position, criterion, value, threshold, unit, reason, "
                          "source) VALUES (1, 1, 0, 'knee_valgus', 17.25, 12.0, 'deg', 'too much', 'Herrington')"))
        conn.execute(text("INSERT INTO reviews (flag_id, reviewer, decision, note, created_at) "
                          "VALUES (1, 'dr a', 'confirm', 'clear valgus', :now)"), {"now": now})
    old.dispose()

    analysis = store.load_analysis(7, db_url=db_url)  # opening upgrades to head
    with store.open_engine(db_url).connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0002"
    assert "ix_reviews_flag_id" in {i["name"] for i in inspect(store.open_engine(db_url)).get_indexes("reviews")}
    assert analysis.series == {}  # older sessions have no stored series
    assert analysis.reps[0].fppa_bottom_deg == 17.25 and analysis.reps[0].flags[0].criterion == "knee_valgus"
    assert analysis.summary.legs[0].fppa_deg == 17.25
    subject = store.get_subject("OLD1", db_url=db_url)
    assert (subject.sex, subject.painful_side, subject.notes) == ("female", "left", "from v0.0")
    (flag,) = store.list_flags(subject_id="OLD1", db_url=db_url)
    assert flag.decision == "confirm" and flag.reviews[0].note == "clear valgus"
    assert store.get_session(7, db_url=db_url).app_version is None
    # new saves work on the upgraded file
    sid = store.save_analysis(sample_analysis(), "OLD1", db_url=db_url)
    assert_same_analysis(sample_analysis(), store.load_analysis(sid, db_url=db_url))


def test_reviews_are_appended_and_queue_empties(db_url):
    sid = store.save_analysis(sample_analysis(), "P001", db_url=db_url)
    queue = store.review_queue(db_url=db_url)
    assert [(f.rep_index, f.criterion) for f in queue] == [(0, "knee_valgus"), (0, "pelvic_drop"), (2, "knee_wobble")]
    store.add_review(queue[0].flag_id, "confirm", reviewer="dr a", db_url=db_url)
    store.add_review(queue[1].flag_id, "dismiss", reviewer="dr a", note="hip landmark jumped", db_url=db_url)
    store.add_review(queue[1].flag_id, "confirm", reviewer="dr b", note="second look: real", db_url=db_url)
    assert [f.criterion for f in store.review_queue(db_url=db_url)] == ["knee_wobble"]
    flags = {f.flag_id: f for f in store.list_flags(session_id=sid, db_url=db_url)}
    changed = flags[queue[1].flag_id]
    assert [(r.reviewer, r.decision, r.note) for r in changed.reviews] == [
        ("dr a", "dismiss", "hip landmark jumped"), ("dr b", "confirm", "second look: real")]
    assert changed.decision == "confirm"
    # the computed result is untouched by reviews
    assert_same_analysis(sample_analysis(), store.load_analysis(sid, db_url=db_url))
    store.add_review(queue[2].flag_id, "dismiss", reviewer="dr a", db_url=db_url)
    assert store.review_queue(db_url=db_url) == [] and store.count_open_flags(db_url=db_url) == 0
    with pytest.raises(store.StoreError, match="confirm"):
        store.add_review(queue[0].flag_id, "maybe", reviewer="dr a", db_url=db_url)
    with pytest.raises(store.StoreError, match="who is reviewing"):
        store.add_review(queue[0].flag_id, "confirm", reviewer="  ", db_url=db_url)


def test_history_by_session_and_leg(db_url):
    s1 = store.save_analysis(sample_analysis(), "P001", recorded_at=datetime(2026, 1, 5, tzinfo=timezone.utc),
                             db_url=db_url)
    s2 = store.save_analysis(sample_analysis(-9.0), "P001", recorded_at=datetime(2026, 2, 5, tzinfo=timezone.utc),
                             db_url=db_url)
    rows = store.history("P001", db_url=db_url)
    assert [(r.session_id, r.leg) for r in rows] == [(s1, "left"), (s1, "right"), (s2, "left"), (s2, "right")]
    assert [r.fppa_deg for r in rows] == [17.25, 5.8125, 8.25, -3.1875]
    assert np.isnan(rows[1].knee_wobble)


def test_delete_subject_removes_everything(db_url, tmp_path):
    marker = b"\xff\xd8SECRET-FACE-PIXELS\xff\xd9"
    keep = store.save_analysis(sample_analysis(), "KEEP", key_frames={0: b"\xff\xd8keep"}, db_url=db_url)
    for _ in range(2):
        sid = store.save_analysis(sample_analysis(), "GONE", key_frames={0: marker, 2: marker}, db_url=db_url)
    store.add_review(store.list_flags(session_id=sid, db_url=db_url)[0].flag_id, "confirm", reviewer="x",
                     db_url=db_url)
    assert store.delete_subject("GONE", db_url=db_url) == 2
    assert [s.code for s in store.list_subjects(db_url=db_url)] == ["KEEP"]
    assert _count(db_url, "sessions") == 1 and _count(db_url, "reps") == 4 and _count(db_url, "flags") == 3
    assert _count(db_url, "key_frames") == 1 and _count(db_url, "reviews") == 0
    assert store.load_key_frames(keep, db_url=db_url) == {0: b"\xff\xd8keep"}
    with pytest.raises(store.StoreError, match="No subject"):
        store.list_sessions("GONE", db_url=db_url)
    # secure_delete: the JPEG bytes are gone from the file itself, not just unlinked
    store.open_engine(db_url).dispose()
    path = tmp_path / "knee.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert marker not in path.read_bytes()


def test_bad_ids_raise_store_errors(db_url):
    with pytest.raises(store.StoreError, match="pseudonymous"):
        store.save_analysis(sample_analysis(), "   ", db_url=db_url)
    with pytest.raises(store.StoreError, match="does not have"):
        store.save_analysis(sample_analysis(), "P1", key_frames={9: b"x"}, db_url=db_url)
    with pytest.raises(store.StoreError, match="No saved session"):
        store.load_analysis(12345, db_url=db_url)
    assert store.list_subjects(db_url=db_url) == []


def test_default_url_from_environment(monkeypatch, db_url):
    monkeypatch.setenv(store.DB_URL_ENV, db_url)
    assert store.default_db_url() == db_url
    monkeypatch.delenv(store.DB_URL_ENV)
    assert store.default_db_url().startswith("sqlite:///") and store.default_db_url().endswith("knee_cv.sqlite3")


def test_real_analysis_round_trips(shared_landmarks, db_url):
    from knee_cv.analysis import analyze
    from knee_cv.trackio import load_track

    analysis = analyze(load_track(shared_landmarks / "sls_front_ref_01.csv"))
    assert analysis.reps and any(rep.flags for rep in analysis.reps)
    sid = store.save_analysis(analysis, "REAL", db_url=db_url)
    assert_same_analysis(analysis, store.load_analysis(sid, db_url=db_url))
    assert store.get_session(sid, db_url=db_url).n_flags == sum(len(rep.flags) for rep in analysis.reps)
