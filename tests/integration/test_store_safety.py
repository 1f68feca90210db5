"""Issue 17 on the store: a save happens once, codes that look alike are one code, deletions are
audited, and every database failure is one sentence (:class:`StoreError`), never a traceback.

Run on an SQLite file and on PostgreSQL (the ``db_url`` fixture) where the case exists on both.
"""

from __future__ import annotations

import re
import unicodedata

import pytest
from sqlalchemy import Engine, event, text
from test_store import sample_analysis

from knee_cv.store import sessions as store

VIDEO = "ab" * 32


def _save(code: str, db_url: str, **options):
    return store.save_analysis(sample_analysis(), code, saved_by="dr test", db_url=db_url, **options)


def test_the_same_save_twice_is_one_session(db_url):
    first = _save("P001", db_url, video_hash=VIDEO)
    again = _save("P001", db_url, video_hash=VIDEO, key_frames={0: b"\xff\xd8"})
    assert first.created and not again.created and again.id == first.id
    assert len(store.list_sessions("P001", db_url=db_url)) == 1
    # another setting, another video, another subject: each its own session
    assert _save("P001", db_url, video_hash=VIDEO, settings={"mirrored": True}).created
    assert _save("P001", db_url, video_hash="cd" * 32).created
    assert _save("P002", db_url, video_hash=VIDEO).created
    # a live recording is identified by its id, not by the (absent) video
    assert _save("P001", db_url, content_id="live:1").created
    assert not _save("P001", db_url, content_id="live:1").created
    assert [s.n_reps for s in store.list_sessions("P001", db_url=db_url)] == [4, 4, 4, 4]
    assert store.get_session(first.id, db_url=db_url).saved_by == "dr test"


def test_a_second_save_with_other_details_says_what_the_first_kept(db_url):
    """Saving the clip again with the painful side corrected keeps the first session, and says which details it kept."""
    from datetime import date

    from knee_cv.core.context import SessionContext

    first = SessionContext("female", "right", date(2026, 10, 2))
    corrected = SessionContext("female", "left", date(2026, 10, 2))
    saved = _save("P001", db_url, video_hash=VIDEO, context=first)
    again = _save("P001", db_url, video_hash=VIDEO, context=corrected)
    assert saved.created and not again.created and again.id == saved.id
    assert again.context == first
    assert again.context.differences(corrected) == ["painful side right (this save: left)"]
    assert _save("P001", db_url, video_hash=VIDEO, context=first).context.differences(first) == []
    assert store.get_session(saved.id, db_url=db_url).context.painful_side == "right"


def test_one_session_can_be_deleted_and_the_deletion_is_audited(db_url):
    keep = _save("P001", db_url, video_hash=VIDEO).id
    gone = _save("P001", db_url, video_hash="cd" * 32, key_frames={0: b"\xff\xd8gone"}).id
    store.delete_session(gone, deleted_by="dr b", db_url=db_url)
    assert [s.id for s in store.list_sessions("P001", db_url=db_url)] == [keep]
    with pytest.raises(store.StoreError, match="No saved session"):
        store.load_key_frames(gone, db_url=db_url)
    assert _save("P001", db_url, video_hash="cd" * 32).created  # saved again after its deletion
    store.delete_subject("P001", deleted_by="dr c", db_url=db_url)
    log = store.list_deletions(db_url=db_url)
    assert [(d.what, d.subject_code, d.session_id, d.n_sessions, d.deleted_by) for d in log] == [
        ("session", "P001", gone, 1, "dr b"),
        ("subject", "P001", None, 2, "dr c"),
    ]
    assert all(d.deleted_at.utcoffset().total_seconds() == 0 for d in log)
    with pytest.raises(store.StoreError, match="say who you are"):
        store.delete_session(keep, deleted_by=" ", db_url=db_url)


@pytest.mark.parametrize(
    "code,named",
    [
        ("P\u200b001", "ZERO WIDTH SPACE"),
        ("P001\u200f", "RIGHT-TO-LEFT MARK"),
        ("P\n001", "U+000A"),
        ("P\x00001", "U+0000"),
        ("P\u00a0001", "NO-BREAK SPACE"),
        ("\u202eP001", "RIGHT-TO-LEFT OVERRIDE"),
    ],
)
def test_codes_with_invisible_characters_are_refused(db_url, code, named):
    _save("P001", db_url)
    with pytest.raises(store.StoreError, match=re.escape(named)):
        _save(code, db_url)
    assert [s.code for s in store.list_subjects(db_url=db_url)] == ["P001"]


def test_codes_that_look_the_same_are_the_same_subject(db_url):
    composed = unicodedata.normalize("NFC", "Müller-01")
    decomposed = unicodedata.normalize("NFD", "Müller-01")
    assert composed != decomposed
    _save(composed, db_url, video_hash=VIDEO)
    _save(f"  {decomposed} ", db_url, video_hash="cd" * 32)
    assert [(s.code, s.n_sessions) for s in store.list_subjects(db_url=db_url)] == [(composed, 2)]
    assert store.get_subject(decomposed, db_url=db_url).code == composed
    markdown = "![t](http://127.0.0.9/t.png) **x** --"  # allowed, and shown as literal text by the pages
    assert _save(markdown, db_url).created


def test_nul_in_free_text_is_one_sentence(db_url):
    _save("P001", db_url)
    with pytest.raises(store.StoreError, match="NUL"):
        store.upsert_subject("P001", notes="knee\x00pain", db_url=db_url)
    flag = store.list_flags(subject_id="P001", db_url=db_url)[0].flag_id
    with pytest.raises(store.StoreError, match="NUL"):
        store.add_review(flag, "dismiss", reviewer="dr a", note="jitter\x00", db_url=db_url)
    assert store.get_subject("P001", db_url=db_url).notes == ""


def test_ids_beyond_any_database_are_unknown(db_url):
    with pytest.raises(store.StoreError, match="No saved session with id 99999999999999999999999"):
        store.load_analysis(99999999999999999999999, db_url=db_url)
    with pytest.raises(store.StoreError, match="No flag"):
        store.add_review(10**30, "confirm", reviewer="dr a", db_url=db_url)
    with pytest.raises(store.StoreError, match="No saved session"):
        store.delete_session(-1, deleted_by="dr a", db_url=db_url)


def test_a_read_only_database_is_one_sentence(tmp_path):
    path = tmp_path / "knee.sqlite3"
    _save("P001", f"sqlite:///{path}")
    read_only = f"sqlite:///file:{path}?mode=ro&uri=true"
    with pytest.raises(store.StoreError, match="read-only"):
        _save("P002", read_only)


def test_a_file_that_is_not_a_database_is_one_sentence(tmp_path):
    path = tmp_path / "notes.sqlite3"
    path.write_bytes(b"these are my notes, not a database\n" * 200)
    with pytest.raises(store.StoreError, match="not a knee_cv database"):
        store.list_subjects(db_url=f"sqlite:///{path}")
    assert path.read_bytes().startswith(b"these are my notes")  # left as it was


def test_a_database_from_a_newer_knee_cv_is_one_sentence(db_url):
    _save("P001", db_url)
    with store.open_engine(db_url).begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    store.open_engine(db_url).dispose()
    store._open.cache_clear()  # a new process opening the file
    with pytest.raises(store.StoreError, match="newer version of knee_cv"):
        store.list_subjects(db_url=db_url)
    store._open.cache_clear()


def _no_growth(dbapi_connection, _record) -> None:
    """Let an SQLite connection grow its file by no page: the database is full, as on a full disk."""
    pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
    dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")


def test_a_full_disk_is_one_sentence_and_saves_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'knee.sqlite3'}"
    _save("P001", url)
    store.open_engine(url).dispose()
    store._open.cache_clear()
    event.listen(Engine, "connect", _no_growth)
    try:
        with pytest.raises(store.StoreError, match="full"):
            _save("P002", url, key_frames={0: bytes(400_000)})
    finally:
        event.remove(Engine, "connect", _no_growth)
        store._open.cache_clear()
    assert [s.code for s in store.list_subjects(db_url=url)] == ["P001"]


@pytest.mark.parametrize(
    "args,expected",
    [
        (["report", "99999999999999999999999", "-o", "{tmp}/r.pdf"], "No saved session with id 99999999999999999999999"),
        (["history", "P\u200b001", "-o", "{tmp}/h.csv"], "No subject"),
        (["analyze", "{samples}/squat_oblique_front_01.csv", "--save", "--subject", "P\u200b001"], "ZERO WIDTH SPACE"),
    ],
)
def test_the_command_line_says_one_sentence(tmp_path, samples, args, expected):
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'knee.sqlite3'}"
    _save("P001", url)
    argv = [a.format(tmp=tmp_path, samples=samples) for a in args]
    done = subprocess.run([sys.executable, "-m", "knee_cv.cli", *argv, "--db", url], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and expected in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
