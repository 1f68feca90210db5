"""The clinician store: save, reload, transactions, concurrency, migrations, time zones, limits.

Every test that takes ``db_url`` runs twice (conftest): on a real SQLite file and on a database of
a real PostgreSQL server that the tests start themselves (``postgres_server``, tests/pg_server.py).
"""

from __future__ import annotations

import importlib.util
import json
import os
import sqlite3
import subprocess
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import DateTime, bindparam, event, inspect, text

from knee_cv.core.context import SessionContext
from knee_cv.core.labels import Exercise, Leg, View
from knee_cv.core.plan import catalog_item
from knee_cv.core.result import Analysis, Flag, LegSummary, Recommendation, Rep, Summary
from knee_cv.core.series import FrameSeries
from knee_cv.core.thresholds import load_thresholds
from knee_cv.store import measurements, prescriptions
from knee_cv.store import sessions as store
from knee_cv.store.tables import KeyFrameRow

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
    valgus = Flag(
        "knee_valgus", 17.25 + fppa_shift, 12.0, "deg", f"FPPA {17.25 + fppa_shift:.1f} deg is above 12.0 deg", "Herrington 2014"
    )
    drop = Flag("pelvic_drop", 7.5, 5.0, "deg", "Pelvic drop 7.5 deg is above 5.0 deg", "heuristic")
    wobble = Flag("knee_wobble", 0.061, 0.05, "ratio", "Knee wobble 0.061 is above 0.050", "heuristic")
    reps = [
        _rep(0, Leg.LEFT, 17.25 + fppa_shift, 7.5, [valgus, drop]),
        _rep(1, Leg.LEFT, NAN, 3.0, []),
        _rep(2, Leg.RIGHT, 6.125 + fppa_shift, 2.0, [wobble]),
        _rep(3, Leg.RIGHT, 5.5 + fppa_shift, 1.5, []),
    ]
    legs = [
        LegSummary(
            Leg.LEFT, 2, 1, 17.25 + fppa_shift, 7.5, -2.25, 0.0123, 0.1234567890123, "poor", ["knee valgus above threshold"]
        ),
        LegSummary(Leg.RIGHT, 2, 2, 5.8125 + fppa_shift, 1.75, -2.25, NAN, 0.14, "good", []),
    ]
    summary = Summary(
        n_reps=4,
        n_reliable=3,
        view=View.FRONTAL,
        view_confidence=0.93,
        exercise=Exercise.SINGLE_LEG,
        measurable=True,
        legs=legs,
        rating="poor",
        rating_reasons=["left knee valgus"],
        messages=[],
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
        series=FrameSeries.from_dict(series),  # the series it lacks come back NaN
        reps=reps,
        shallow_dips=[(0.1, 0.4, 0.8)],
        summary=summary,
        recommendations=[
            Recommendation(
                "clamshell",
                "Clamshells",
                "Lie on your side, knees bent, open the top knee.",
                "3 x 15 each side",
                "Hip abductor strength for knee valgus",
            ),
        ],
        safety_note="Screening, not diagnosis. See a clinician for sudden pain, swelling, locking or giving way.",
        thresholds=load_thresholds(sex="female"),
        model="full sha256:0123abcd",
        source="clip.mp4",
    )


def assert_same_analysis(a: Analysis, b: Analysis) -> None:
    assert a.to_json(include_series=False) == b.to_json(include_series=False)
    flat_a, flat_b = a.series.to_dict(), b.series.to_dict()
    assert flat_a.keys() == flat_b.keys()
    for name in flat_a:
        x, y = np.asarray(flat_a[name]), np.asarray(flat_b[name])
        assert x.dtype == y.dtype, name
        if x.dtype.kind == "f":
            assert x.tobytes() == y.tobytes(), name  # bit for bit, NaN included
        else:
            assert np.array_equal(x, y), name
    for ra, rb in zip(a.reps, b.reps):
        for name, value in vars(ra).items():
            other = getattr(rb, name)
            assert type(value) is type(other), name


def _count(db_url: str, table: str) -> int:
    with store.open_engine(db_url).connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def test_save_and_reload_bit_for_bit(db_url):
    analysis = sample_analysis()
    frames = {0: b"\xff\xd8jpeg-0\xff\xd9", 2: b"\xff\xd8jpeg-2\xff\xd9"}
    when = datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc)
    sid = store.save_analysis(
        analysis, "P001", key_frames=frames, video_hash="ab" * 32, recorded_at=when, saved_by="dr test", db_url=db_url
    ).id
    again = store.load_analysis(sid, db_url=db_url)
    assert_same_analysis(analysis, again)
    assert np.isnan(again.reps[1].fppa_bottom_deg) and np.isnan(again.summary.legs[1].knee_wobble)
    assert again.reps[0].flags == analysis.reps[0].flags
    assert store.load_key_frames(sid, db_url=db_url) == frames
    info = store.get_session(sid, db_url=db_url)
    assert (info.subject, info.recorded_at, info.video_hash, info.n_reps, info.n_flags, info.n_open_flags) == (
        "P001",
        when,
        "ab" * 32,
        4,
        3,
        3,
    )
    assert info.rating == "poor"
    # NaN is NULL in the database, never 0
    with store.open_engine(db_url).connect() as conn:
        values = conn.execute(text("SELECT fppa_bottom_deg FROM reps ORDER BY rep_index")).scalars().all()
    assert values[1] is None and values[0] == 17.25


def test_failure_mid_save_leaves_nothing(db_url):
    store.save_analysis(sample_analysis(), "P001", saved_by="dr test", db_url=db_url)  # an earlier session stays
    before = {t: _count(db_url, t) for t in ("subjects", "sessions", "reps", "flags", "key_frames")}

    def boom(*_args):
        raise RuntimeError("disk unplugged")

    event.listen(KeyFrameRow, "before_insert", boom)
    try:
        with pytest.raises(RuntimeError, match="disk unplugged"):
            store.save_analysis(sample_analysis(), "P002", key_frames={0: b"\xff\xd8x"}, saved_by="dr test", db_url=db_url)
    finally:
        event.remove(KeyFrameRow, "before_insert", boom)
    after = {t: _count(db_url, t) for t in before}
    assert after == before
    assert [s.code for s in store.list_subjects(db_url=db_url)] == ["P001"]


SAVE_MANY = """
import sys, time
from pathlib import Path
from knee_cv.store import sessions as store
from test_store import sample_analysis
db_url, subject, folder = sys.argv[1], sys.argv[2], Path(sys.argv[3])
(folder / f"ready-{subject}").touch()
while not (folder / "go").exists():
    time.sleep(0.005)
for i in range(8):
    frames = {0: b"\\xff\\xd8" + bytes(5000)}
    store.save_analysis(sample_analysis(float(i)), subject, key_frames=frames, saved_by="dr test", db_url=db_url)
    # both processes save the same result to S{i}: both create the subject, one session is kept
    store.save_analysis(sample_analysis(float(i)), f"S{i}", key_frames=frames, saved_by="dr test", db_url=db_url)
"""


def test_two_processes_save_at_once(db_url, tmp_path):
    # A fresh database: both processes also race to create the schema, then to create the same
    # new subjects S0..S7. Plain subprocesses, not multiprocessing: after an AppTest, __main__ is
    # a page script that spawn would rerun.
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
    processes = [
        subprocess.Popen([sys.executable, "-c", SAVE_MANY, db_url, subject, str(tmp_path)], env=env) for subject in ("A1", "B2")
    ]
    while not all((tmp_path / f"ready-{s}").exists() for s in ("A1", "B2")):
        assert all(process.poll() is None for process in processes), "a writer died before the start"
        time.sleep(0.005)
    (tmp_path / "go").touch()
    assert [process.wait(timeout=120) for process in processes] == [0, 0]
    subjects = {s.code: s.n_sessions for s in store.list_subjects(db_url=db_url)}
    assert subjects == {"A1": 8, "B2": 8} | {f"S{i}": 1 for i in range(8)}
    assert _count(db_url, "reps") == 24 * 4


def test_migrating_first_revision_keeps_data(db_url, tmp_path):
    old = store.make_engine(db_url)
    store.migrate(old, "0001")
    assert "series_npz" not in {c["name"] for c in inspect(old).get_columns("sessions")}
    # What an older knee_cv wrote: ids from the database's own sequences (never given by hand, so
    # PostgreSQL's sequences stay in step), datetimes as that version's DateTime(timezone=True) column
    # bound them (SQLite: the UTC wall clock as text, PostgreSQL: timestamptz).
    when = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    rep = {k: v for k, v in sample_analysis().to_dict(include_series=False)["reps"][0].items() if k != "flags"}
    summary = sample_analysis().to_dict(include_series=False)["summary"]
    with old.begin() as conn:

        def insert(sql: str, **params) -> int:
            statement = text(sql + " RETURNING id")
            if ":now" in sql:
                statement = statement.bindparams(bindparam("now", when, DateTime(timezone=True)))
            return conn.execute(statement, params).scalar_one()

        subject_id = insert(
            "INSERT INTO subjects (code, sex, painful_side, notes, created_at) "
            "VALUES ('OLD1', 'female', 'left', 'from v0.0', :now)"
        )
        session_id = insert(
            "INSERT INTO sessions (subject_id, recorded_at, created_at, source, video_hash, model, thresholds_json, "
            "summary_json, recommendations_json, shallow_dips_json, safety_note) VALUES "
            "(:subject, :now, :now, 'old.mp4', NULL, 'lite', '{}', :summary, '[]', '[]', 'screening only')",
            subject=subject_id,
            summary=json.dumps(summary),
        )
        rep_id = insert(
            "INSERT INTO reps (session_id, rep_index, leg, reliable, fppa_bottom_deg, "
            "pelvic_drop_bottom_deg, data) VALUES (:session, 0, 'left', TRUE, 17.25, 7.5, :data)",
            session=session_id,
            data=json.dumps(rep),
        )
        flag_id = insert(
            "INSERT INTO flags (rep_id, position, criterion, value, threshold, unit, reason, source) "
            "VALUES (:rep, 0, 'knee_valgus', 17.25, 12.0, 'deg', 'too much', 'Herrington')",
            rep=rep_id,
        )
        insert(
            "INSERT INTO reviews (flag_id, reviewer, decision, note, created_at) "
            "VALUES (:flag, 'dr a', 'confirm', 'clear valgus', :now)",
            flag=flag_id,
        )
    old.dispose()

    analysis = store.load_analysis(session_id, db_url=db_url)  # opening upgrades to head
    with store.open_engine(db_url).connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0006"
    assert "ix_reviews_flag_id" in {i["name"] for i in inspect(store.open_engine(db_url)).get_indexes("reviews")}
    assert not len(analysis.series)  # older sessions have no stored series
    assert analysis.reps[0].fppa_bottom_deg == 17.25 and analysis.reps[0].flags[0].criterion == "knee_valgus"
    assert analysis.summary.legs[0].fppa_deg == 17.25
    subject = store.get_subject("OLD1", db_url=db_url)
    assert (subject.sex, subject.painful_side, subject.notes, subject.created_at) == ("female", "left", "from v0.0", when)
    (flag,) = store.list_flags(subject_id="OLD1", db_url=db_url)
    assert flag.decision == "confirm" and flag.reviews[0].note == "clear valgus"
    assert flag.recorded_at == when and flag.reviews[0].created_at == when
    assert store.get_session(session_id, db_url=db_url).app_version is None
    assert store.get_session(session_id, db_url=db_url).context == SessionContext()  # saved before 0006
    # 0004 and 0005 added tables, 0006 columns only: the old session's reps survived them (a rebuilt table would
    # have cascaded)
    assert _count(db_url, "reps") == 1 and _count(db_url, "reviews") == 1
    assert measurements.clip_sizes(session_id, db_url=db_url) == {}  # saved before clips were kept
    assert measurements.standing_measurements(session_id, db_url=db_url) == {}
    assert prescriptions.latest_prescription(session_id=session_id, db_url=db_url) is None
    # new saves work on the upgraded file
    sid = store.save_analysis(sample_analysis(), "OLD1", saved_by="dr test", db_url=db_url).id
    assert_same_analysis(sample_analysis(), store.load_analysis(sid, db_url=db_url))


def test_what_the_person_gave_is_kept_with_the_session(db_url):
    """Sex, painful side, date filmed and the selfie camera (migration 0006) come back as saved."""
    given = SessionContext("male", "right", date(2026, 11, 30), mirrored=True)
    sid = store.save_analysis(sample_analysis(), "CTX1", saved_by="dr test", context=given, db_url=db_url).id
    assert store.get_session(sid, db_url=db_url).context == given
    other = store.save_analysis(sample_analysis(), "CTX2", saved_by="dr test", db_url=db_url).id
    assert store.get_session(other, db_url=db_url).context == SessionContext()


def test_reviews_are_appended_and_queue_empties(db_url):
    sid = store.save_analysis(sample_analysis(), "P001", saved_by="dr test", db_url=db_url).id
    queue = store.review_queue(db_url=db_url)
    assert [(f.rep_index, f.criterion) for f in queue] == [(0, "knee_valgus"), (0, "pelvic_drop"), (2, "knee_wobble")]
    store.add_review(queue[0].flag_id, "confirm", reviewer="dr a", db_url=db_url)
    store.add_review(queue[1].flag_id, "dismiss", reviewer="dr a", note="hip landmark jumped", db_url=db_url)
    store.add_review(queue[1].flag_id, "confirm", reviewer="dr b", note="second look: real", db_url=db_url)
    assert [f.criterion for f in store.review_queue(db_url=db_url)] == ["knee_wobble"]
    flags = {f.flag_id: f for f in store.list_flags(session_id=sid, db_url=db_url)}
    changed = flags[queue[1].flag_id]
    assert [(r.reviewer, r.decision, r.note) for r in changed.reviews] == [
        ("dr a", "dismiss", "hip landmark jumped"),
        ("dr b", "confirm", "second look: real"),
    ]
    assert changed.decision == "confirm"
    # the computed result is untouched by reviews
    assert_same_analysis(sample_analysis(), store.load_analysis(sid, db_url=db_url))
    store.add_review(queue[2].flag_id, "dismiss", reviewer="dr a", db_url=db_url)
    assert store.review_queue(db_url=db_url) == [] and store.count_open_flags(db_url=db_url) == 0
    with pytest.raises(store.StoreError, match="confirm"):
        store.add_review(queue[0].flag_id, "maybe", reviewer="dr a", db_url=db_url)
    with pytest.raises(store.StoreError, match="say who you are"):
        store.add_review(queue[0].flag_id, "confirm", reviewer="  ", db_url=db_url)


def test_history_by_session_and_leg(db_url):
    s1 = store.save_analysis(
        sample_analysis(), "P001", recorded_at=datetime(2026, 1, 5, tzinfo=timezone.utc), saved_by="dr test", db_url=db_url
    ).id
    s2 = store.save_analysis(
        sample_analysis(-9.0), "P001", recorded_at=datetime(2026, 2, 5, tzinfo=timezone.utc), saved_by="dr test", db_url=db_url
    ).id
    rows = store.history("P001", db_url=db_url)
    assert [(r.session_id, r.leg) for r in rows] == [(s1, "left"), (s1, "right"), (s2, "left"), (s2, "right")]
    assert [r.fppa_deg for r in rows] == [17.25, 5.8125, 8.25, -3.1875]
    assert np.isnan(rows[1].knee_wobble)


def test_delete_subject_removes_everything(db_url, tmp_path):
    marker = b"\xff\xd8SECRET-FACE-PIXELS\xff\xd9"
    keep = store.save_analysis(sample_analysis(), "KEEP", key_frames={0: b"\xff\xd8keep"}, saved_by="dr test", db_url=db_url).id
    for video in ("a" * 64, "b" * 64):  # two videos: two sessions
        sid = store.save_analysis(
            sample_analysis(), "GONE", key_frames={0: marker, 2: marker}, video_hash=video, saved_by="dr test", db_url=db_url
        ).id
    store.add_review(store.list_flags(session_id=sid, db_url=db_url)[0].flag_id, "confirm", reviewer="x", db_url=db_url)
    assert store.delete_subject("GONE", deleted_by="dr test", db_url=db_url) == 2
    assert [s.code for s in store.list_subjects(db_url=db_url)] == ["KEEP"]
    assert _count(db_url, "sessions") == 1 and _count(db_url, "reps") == 4 and _count(db_url, "flags") == 3
    assert _count(db_url, "key_frames") == 1 and _count(db_url, "reviews") == 0
    assert store.load_key_frames(keep, db_url=db_url) == {0: b"\xff\xd8keep"}
    with pytest.raises(store.StoreError, match="No subject"):
        store.list_sessions("GONE", db_url=db_url)
    if not db_url.startswith("sqlite"):
        return  # PostgreSQL keeps dead rows in its files until VACUUM reuses the space (see the README)
    # secure_delete: the JPEG bytes are gone from the file itself, not just unlinked
    store.open_engine(db_url).dispose()
    path = tmp_path / "knee.sqlite3"
    assert path.stat().st_size > 0  # the store's own file (sqlite3.connect would create an empty one)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert marker not in path.read_bytes()


def test_bad_ids_raise_store_errors(db_url):
    with pytest.raises(store.StoreError, match="Enter a subject code"):
        store.save_analysis(sample_analysis(), "   ", saved_by="dr test", db_url=db_url)
    with pytest.raises(store.StoreError, match="does not have"):
        store.save_analysis(sample_analysis(), "P1", key_frames={9: b"x"}, saved_by="dr test", db_url=db_url)
    with pytest.raises(store.StoreError, match="No saved session"):
        store.load_analysis(12345, db_url=db_url)
    assert store.list_subjects(db_url=db_url) == []


def test_times_come_back_as_the_same_instant_in_utc(db_url):
    # The PostgreSQL test server runs in Pacific/Chatham (UTC+13:45 in March): a zone lost on the
    # way in or out shows as a different instant or a non-UTC offset.
    india = timezone(timedelta(hours=5, minutes=30))
    when = datetime(2026, 3, 1, 15, 0, 0, 123456, tzinfo=india)
    sid = store.save_analysis(sample_analysis(), "P001", recorded_at=when, saved_by="dr test", db_url=db_url).id
    info = store.get_session(sid, db_url=db_url)
    assert info.recorded_at == when and info.recorded_at.utcoffset() == timedelta(0)
    assert [row["recorded_at"] for row in store.history_rows("P001", db_url=db_url)] == ["2026-03-01T09:30:00.123456+00:00"] * 2
    before = datetime.now(timezone.utc)
    review = store.add_review(
        store.list_flags(session_id=sid, db_url=db_url)[0].flag_id, "confirm", reviewer="dr a", db_url=db_url
    )
    (stored,) = store.list_flags(session_id=sid, db_url=db_url)[0].reviews
    assert stored.created_at == review.created_at and stored.created_at.utcoffset() == timedelta(0)
    assert abs(stored.created_at - before) < timedelta(minutes=5)
    assert store.get_subject("P001", db_url=db_url).created_at.utcoffset() == timedelta(0)
    with pytest.raises(store.StoreError, match="no time zone"):
        store.save_analysis(sample_analysis(), "P001", recorded_at=datetime(2026, 3, 1, 9, 30), saved_by="dr test", db_url=db_url)


def test_text_limits_are_checked_before_the_database(db_url):
    code = "Ü" * store.MAX_SUBJECT_CODE  # 64 characters, 128 bytes in UTF-8
    sid = store.save_analysis(sample_analysis(), code, saved_by="dr test", db_url=db_url).id
    assert store.get_session(sid, db_url=db_url).subject == code
    with pytest.raises(store.StoreError, match="use at most 64"):
        store.save_analysis(sample_analysis(), code + "Ü", saved_by="dr test", db_url=db_url)
    flag_id = store.list_flags(session_id=sid, db_url=db_url)[0].flag_id
    name = "dr " + "a" * (store.MAX_REVIEWER - 3)
    assert store.add_review(flag_id, "confirm", reviewer=name, db_url=db_url).reviewer == name
    with pytest.raises(store.StoreError, match="at most 128"):
        store.add_review(flag_id, "confirm", reviewer=name + "a", db_url=db_url)
    with pytest.raises(store.StoreError, match="Sex must be one of"):
        store.upsert_subject(code, sex="not recorded", db_url=db_url)
    with pytest.raises(store.StoreError, match="Painful side must be one of"):
        store.upsert_subject(code, painful_side="left knee, since 2024", db_url=db_url)
    subject = store.upsert_subject(code, sex="female", painful_side="both", notes="ß" * 5000, db_url=db_url)
    assert (subject.sex, subject.painful_side, subject.notes) == ("female", "both", "ß" * 5000)


def test_unreachable_or_driverless_database_is_a_store_error(postgres_server):
    wrong = postgres_server.url().replace(postgres_server.password, "wrong-secret")
    with pytest.raises(store.StoreError, match="Could not open the database .*password authentication failed") as info:
        store.open_engine(wrong)
    assert "wrong-secret" not in str(info.value)
    if importlib.util.find_spec("psycopg2") is None:
        with pytest.raises(store.StoreError, match=r"driver 'psycopg2'.*knee-cv\[postgres\]"):
            store.open_engine("postgresql+psycopg2://clinic:secret@127.0.0.1/knee_cv")
    with pytest.raises(store.StoreError, match="not a usable database URL"):
        store.open_engine("clinic server please")


def test_default_url_from_environment(monkeypatch, db_url):
    monkeypatch.setenv(store.DB_URL_ENV, db_url)
    assert store.default_db_url() == db_url
    monkeypatch.delenv(store.DB_URL_ENV)
    assert store.default_db_url().startswith("sqlite:///") and store.default_db_url().endswith("knee_cv.sqlite3")


def test_real_analysis_round_trips(shared_landmarks, db_url):
    from knee_cv.core.analysis import analyze
    from knee_cv.media.trackio import load_track

    analysis = analyze(load_track(shared_landmarks / "sls_front_ref_01.csv"))
    assert analysis.reps and any(rep.flags for rep in analysis.reps)
    sid = store.save_analysis(analysis, "REAL", saved_by="dr test", db_url=db_url).id
    assert_same_analysis(analysis, store.load_analysis(sid, db_url=db_url))
    assert store.get_session(sid, db_url=db_url).n_flags == sum(len(rep.flags) for rep in analysis.reps)


def test_patient_list_counts_sessions_last_date_and_open_flags(db_url):
    for code, month in (("P2", 1), ("P1", 1), ("P1", 3)):
        store.save_analysis(
            sample_analysis(month),
            code,
            video_hash=f"{month:064d}",
            recorded_at=datetime(2026, month, 9, 8, 30, tzinfo=timezone.utc),
            saved_by="dr test",
            db_url=db_url,
        )
    store.upsert_subject("P3", db_url=db_url)  # no session yet
    first = store.list_flags(subject_id="P2", db_url=db_url)[0]
    store.add_review(first.flag_id, "confirm", reviewer="dr a", db_url=db_url)
    assert store.patient_list(db_url=db_url) == [
        store.PatientInfo("P1", 2, datetime(2026, 3, 9, 8, 30, tzinfo=timezone.utc), 6),
        store.PatientInfo("P2", 1, datetime(2026, 1, 9, 8, 30, tzinfo=timezone.utc), 2),
        store.PatientInfo("P3", 0, None, 0),
    ]


def test_prescriptions_are_appended_and_carried_to_the_next_session(db_url):
    first = store.save_analysis(
        sample_analysis(), "P001", saved_by="dr test", recorded_at=datetime(2026, 1, 5, tzinfo=timezone.utc), db_url=db_url
    ).id
    items = [catalog_item("side_plank"), catalog_item("clamshells")]
    items[1] = items[1] | {"days_per_week": 4, "note": "  slow, **no** band yet\n"}
    items[1]["doses"][0] = items[1]["doses"][0] | {"sets": 2, "reps": 20}
    one = prescriptions.save_prescription(first, items, prescribed_by=" Dr A ", db_url=db_url)
    two = prescriptions.save_prescription(first, [items[1], items[0]], prescribed_by="Dr B", db_url=db_url)
    assert [p.id for p in prescriptions.list_prescriptions(first, db_url=db_url)] == [one.id, two.id]  # both kept
    latest = prescriptions.latest_prescription(session_id=first, db_url=db_url)
    assert (latest.id, latest.prescribed_by, latest.created_at.tzinfo) == (two.id, "Dr B", timezone.utc)
    assert one.prescribed_by == "Dr A" and one.created_at <= two.created_at
    plan = latest.plan()  # the round trip: the items as saved, steps from the catalog
    assert [e.key for e in plan.exercises] == ["clamshells", "side_plank"]
    clamshells = plan.exercises[0]
    assert (clamshells.days_per_week, clamshells.note) == (4, "slow, **no** band yet")
    assert (clamshells.doses[0].sets, clamshells.doses[0].reps, clamshells.doses[0].text()) == (2, 20, "2 sets of 20 each side")
    assert clamshells.steps and plan.exercises[1].doses[0].hold_s == 20
    # the next session starts from it; an earlier one does not
    later = store.save_analysis(
        sample_analysis(1.0),
        "P001",
        video_hash="b" * 64,
        saved_by="dr test",
        recorded_at=datetime(2026, 2, 5, tzinfo=timezone.utc),
        db_url=db_url,
    ).id
    earlier = store.save_analysis(
        sample_analysis(2.0),
        "P001",
        video_hash="c" * 64,
        saved_by="dr test",
        recorded_at=datetime(2025, 12, 5, tzinfo=timezone.utc),
        db_url=db_url,
    ).id
    assert prescriptions.latest_prescription(session_id=later, db_url=db_url).id == two.id
    assert prescriptions.latest_prescription(session_id=earlier, db_url=db_url) is None
    assert prescriptions.latest_prescription(subject_code="P001", db_url=db_url).id == two.id


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([catalog_item("clamshells")] * 2, "in the plan twice"),
        ([catalog_item("clamshells") | {"days_per_week": 8}], "days per week must be a whole number from 1 to 7"),
        ([catalog_item("clamshells") | {"note": "a\x00b"}], "control character"),
        ([catalog_item("clamshells") | {"note": "x" * 501}], "at most 500"),
        ([{"key": "cartwheels"}], "no exercise 'cartwheels'"),
    ],
)
def test_a_bad_prescription_is_one_sentence_and_saves_nothing(db_url, items, message):
    sid = store.save_analysis(sample_analysis(), "P001", saved_by="dr test", db_url=db_url).id
    with pytest.raises(store.StoreError, match=message):
        prescriptions.save_prescription(sid, items, prescribed_by="Dr A", db_url=db_url)
    with pytest.raises(store.StoreError, match="The name of who prescribes is empty"):
        prescriptions.save_prescription(sid, [], prescribed_by="  ", db_url=db_url)
    with pytest.raises(store.StoreError, match="No saved session with id 999"):
        prescriptions.save_prescription(999, [], prescribed_by="Dr A", db_url=db_url)
    assert _count(db_url, "prescriptions") == 0


def test_prescriptions_go_with_their_session(db_url):
    keep = store.save_analysis(sample_analysis(), "P001", saved_by="dr test", db_url=db_url).id
    gone = store.save_analysis(sample_analysis(), "P001", video_hash="d" * 64, saved_by="dr test", db_url=db_url).id
    prescriptions.save_prescription(keep, [catalog_item("clamshells")], prescribed_by="Dr A", db_url=db_url)
    prescriptions.save_prescription(gone, [catalog_item("side_plank")], prescribed_by="Dr A", db_url=db_url)
    store.delete_session(gone, deleted_by="dr test", db_url=db_url)
    assert _count(db_url, "prescriptions") == 1
    assert [p.session_id for p in prescriptions.list_prescriptions(keep, db_url=db_url)] == [keep]
    store.delete_subject("P001", deleted_by="dr test", db_url=db_url)
    assert _count(db_url, "prescriptions") == 0
