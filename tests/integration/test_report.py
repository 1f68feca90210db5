"""Exports: per-rep CSV, JSON, history CSV and the PDF report (rendered with poppler)."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
from PIL import Image
from test_store import sample_analysis

from knee_cv.core.context import SessionContext
from knee_cv.core.shown import likely
from knee_cv.report import exports
from knee_cv.report import pdf as report
from knee_cv.report.tables import rep_table
from knee_cv.store import sessions as store

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        message = f"{tool} not found: install Debian's poppler-utils (apt-get install -y poppler-utils)"
        if os.environ.get("KNEE_CV_REQUIRE_SHARED") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


def _jpeg(colour: tuple[int, int, int], label: str) -> bytes:
    """A small real JPEG: a coloured frame with a stick leg and a label."""
    image = np.full((320, 180, 3), 235, np.uint8)
    cv2.rectangle(image, (10, 10), (170, 310), colour, 4)
    cv2.line(image, (90, 60), (70, 170), (0, 0, 255), 5)
    cv2.line(image, (70, 170), (95, 290), (0, 0, 255), 5)
    cv2.putText(image, label, (20, 40), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 0, 0), 2)
    return cv2.imencode(".jpg", image)[1].tobytes()


def test_reps_csv_round_trip(tmp_path):
    analysis = sample_analysis()
    table = pd.read_csv(exports.write_reps_csv(analysis, tmp_path / "reps.csv", {"file": "a.mp4"}))
    assert list(table["rep"]) == [1, 2, 3, 4] and set(table["file"]) == {"a.mp4"}
    assert list(table["leg"]) == ["left", "left", "right", "right"]
    assert table["fppa_bottom_deg"].iloc[0] == 17.2  # to 0.1 deg (17.25 rounds to even)
    assert math.isnan(table["knee_flexion_deg"].iloc[1]) and table["reliable"].iloc[1] == False  # noqa: E712
    assert table["depth_leg_lengths"].iloc[0] == 0.123 and table["fppa_peak_deg"].iloc[2] == 6.5
    assert "FPPA 17.2 deg is above 12.0 deg" in table["flags"].iloc[0]
    assert "hip near knee height" in table["unreliable_reasons"].iloc[1]


def test_json_export(tmp_path):
    data = json.loads(exports.write_json(sample_analysis(), tmp_path / "a.json").read_text())
    assert data["reps"][1]["fppa_bottom_deg"] is None  # NaN -> null
    assert data["reps"][0]["flags"][0]["criterion"] == "knee_valgus"
    assert len(data["series"]["fppa_left"]) == 240 and data["series"]["fppa_left"][17] is None
    assert "positive = valgus" in data["conventions"]
    lean = json.loads(exports.write_json(sample_analysis(), tmp_path / "b.json", include_series=False).read_text())
    assert "series" not in lean


def test_the_upload_options_go_with_the_csv_and_the_json():
    """The app's downloads: the rep CSV starts with what the person gave, the JSON has it as "context"."""
    given = SessionContext("male", "right", date(2026, 5, 1), mirrored=True)
    table = rep_table(sample_analysis(), given.columns())
    assert list(table.columns[:4]) == ["filmed_on", "sex", "painful_side", "mirrored"]
    assert table.iloc[0, :4].tolist() == ["2026-05-01", "male", "right", "yes"]
    data = json.loads(exports.analysis_json(sample_analysis(), given))
    assert data["context"] == {"sex": "male", "painful_side": "right", "filmed_on": "2026-05-01", "mirrored": True}
    assert data["reps"][0]["flags"][0]["criterion"] == "knee_valgus"
    assert "context" not in json.loads(exports.analysis_json(sample_analysis()))


def test_history_csv(db_url, tmp_path):
    for month, shift in ((1, 0.0), (3, -9.0)):
        store.save_analysis(
            sample_analysis(shift),
            "P007",
            recorded_at=datetime(2026, month, 2, tzinfo=timezone.utc),
            saved_by="dr test",
            db_url=db_url,
        )
    table = pd.read_csv(exports.write_history_csv("P007", tmp_path / "h.csv", db_url=db_url))
    assert list(table["leg"]) == ["left", "right", "left", "right"]
    assert list(table["fppa_deg"]) == [17.25, 5.8125, 8.25, -3.1875]
    assert table["recorded_at"].iloc[2].startswith("2026-03-02")
    assert math.isnan(table["knee_wobble"].iloc[1])
    with pytest.raises(store.StoreError, match="No subject"):
        exports.write_history_csv("NOBODY", tmp_path / "x.csv", db_url=db_url)


def test_pdf_of_saved_session_renders_with_its_numbers(db_url, tmp_path):
    pdftoppm, pdftotext = _poppler("pdftoppm"), _poppler("pdftotext")
    analysis = sample_analysis()
    frames = {rep.index: _jpeg((200, 120, 30), f"rep {rep.index + 1}") for rep in analysis.reps}
    store.upsert_subject("P042", sex="female", painful_side="left", db_url=db_url)
    sid = store.save_analysis(
        analysis,
        "P042",
        key_frames=frames,
        video_hash="c0ffee" * 10 + "abcd",
        recorded_at=datetime(2026, 4, 1, 10, 0, tzinfo=timezone.utc),
        saved_by="dr test",
        db_url=db_url,
        context=SessionContext(None, "left", date(2026, 3, 31), mirrored=True),
    ).id
    flags = store.list_flags(session_id=sid, db_url=db_url)
    store.add_review(flags[0].flag_id, "confirm", reviewer="dr wu", db_url=db_url)
    store.add_review(flags[1].flag_id, "dismiss", reviewer="dr wu", note="hip marker slipped", db_url=db_url)

    pdf = report.write_pdf(sid, tmp_path / "report.pdf", db_url=db_url)
    assert pdf.read_bytes().startswith(b"%PDF")
    raw = subprocess.run([pdftotext, "-raw", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    text = " ".join(raw.split())  # table cells wrap: compare with single spaces
    for expected in [
        "Single-leg squat screening report",
        "P042",
        f"session {sid}",
        "female",
        "2026-04-01 10:00 UTC",
        "clip.mp4",
        "full sha256:0123abcd",
        "Overall: POOR",
        "confirmed by dr wu",
        "dismissed by dr wu: hip marker slipped",
        "not reviewed",
        "Clamshells",
        "3 x 15 each side",
        "positive = valgus",
        "screening aid, not a diagnosis",
        "Reviewed by:",
        "Filmed on 2026-03-31",
        "Sex given not given (the women's knee cut-off was used)",
        "Selfie camera yes (mirrored picture, flipped back)",  # what the person gave with the clip
    ]:
        assert expected in text, expected
    assert text.count("Painful side") == 1 and text.count("Sore knee given") == 1  # the record's and the clip's
    for rep in (rep for rep in analysis.reps if rep.reliable):  # every reliable rep's numbers, as the table shows them
        for value, low, high in (
            (rep.fppa_bottom_deg, rep.fppa_low_deg, rep.fppa_high_deg),
            (rep.pelvic_drop_bottom_deg, rep.pelvic_drop_low_deg, rep.pelvic_drop_high_deg),
        ):
            assert likely(value, low, high, "") in text  # "44, likely 27 to 51"
        if math.isfinite(rep.knee_flexion_deg):
            assert f"{rep.knee_flexion_deg:.1f}" in text
    unreliable = analysis.reps[1]  # its angles are not shown: the reason is
    assert not unreliable.reliable and f"{unreliable.knee_flexion_deg:.1f}" not in text
    assert "rep 2: hip near knee height" in text
    for leg in analysis.summary.legs:
        assert likely(leg.fppa_deg, leg.fppa_low_deg, leg.fppa_high_deg, "") in text
        assert likely(leg.pelvic_drop_deg, leg.pelvic_drop_low_deg, leg.pelvic_drop_high_deg, "") in text
    for flag in (f for rep in analysis.reps for f in rep.flags):
        assert flag.reason in text

    ARTIFACTS.mkdir(exist_ok=True)
    prefix = ARTIFACTS / "report_page"
    subprocess.run([pdftoppm, "-r", "70", "-png", str(pdf), str(prefix)], check=True)
    pages = sorted(ARTIFACTS.glob("report_page-*.png"))
    assert len(pages) >= 2
    # the key frames are drawn: the orange frame colour (BGR 200,120,30 -> RGB 30,120,200) is on a page
    found = False
    for page in pages:
        rgb = np.asarray(Image.open(page).convert("RGB")).astype(int)
        found |= bool((np.abs(rgb - [30, 120, 200]).sum(axis=2) < 60).sum() > 200)
    assert found


def test_pdf_of_unsaved_analysis_with_non_latin1_text(tmp_path):
    _poppler("pdftotext")
    analysis = sample_analysis()
    analysis.reps[0].flags[0] = replace(analysis.reps[0].flags[0], reason="FPPA 17° \u2013 above 12° \u2192 valgus")
    context = report.ReportContext(subject="U1", key_frames={0: _jpeg((0, 200, 0), "x")})
    pdf = report.write_pdf(analysis, tmp_path / "u.pdf", context=context)
    text = " ".join(
        subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True).stdout.split()
    )
    assert "FPPA 17 deg - above 12 deg -> valgus" in text
    assert "unsaved" in text


def test_pdf_of_unknown_session_is_a_store_error(db_url, tmp_path):
    with pytest.raises(store.StoreError, match="No saved session"):
        report.write_pdf(999, tmp_path / "x.pdf", db_url=db_url)


@pytest.mark.slow
@pytest.mark.shared
def test_pdf_of_a_real_clip_with_real_key_frames(shared_videos, db_url, tmp_path):
    """End to end: MediaPipe on a real front-view clip, saved with its deepest frames, reported."""
    from knee_cv.core.analysis import analyze
    from knee_cv.media.models import sha256_of
    from knee_cv.media.pose import track_video
    from knee_cv.media.render import rep_thumbnail
    from knee_cv.media.video import iter_frames

    _poppler("pdftoppm")
    video = shared_videos / "squat_front_01.mp4"
    track = track_video(video)
    analysis = analyze(track)
    assert analysis.reps, "the clip has two-leg squats the analysis should find"
    bottoms = {rep.bottom_frame: rep for rep in analysis.reps}
    frames = {}
    for index, (_t, rgb) in enumerate(iter_frames(video)):
        if index in bottoms:
            frames[bottoms[index].index] = rep_thumbnail(rgb, track.xy[index], bottoms[index], blur_face=True)
    assert set(frames) == {rep.index for rep in analysis.reps}
    sid = store.save_analysis(
        analysis, "REAL1", key_frames=frames, video_hash=sha256_of(video), saved_by="dr test", db_url=db_url
    ).id
    pdf = report.write_pdf(sid, tmp_path / "real.pdf", db_url=db_url)
    text = " ".join(
        subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True).stdout.split()
    )
    assert "squat_front_01.mp4" in text and sha256_of(video)[:16] in text
    for rep in analysis.reps:
        assert f"{report.rep_label(rep)}: FPPA" in text
        if math.isfinite(rep.fppa_bottom_deg):
            assert f"{rep.fppa_bottom_deg:.1f}" in text
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "70", "-png", str(pdf), str(ARTIFACTS / "report_real")], check=True)
