"""``knee-cv batch``: real MediaPipe over three short real clips, plus a damaged file and a text file.

The first batch runs once per module (two worker processes, every export
asked for); the other tests read its output folder (the batch's tables,
manifest, TRC, MOT and C3D files read back), run it again, or run the same
inputs on a local Ray instance and compare.
"""

from __future__ import annotations

import csv
import json
import math
import platform
import shutil
import sys
import warnings
from datetime import date, datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from clip_tags import with_creation_time

import knee_cv
from knee_cv.batch import MANIFEST_NAME, SUMMARY_FIELDS, TABLE_NAMES, Exports, find_videos, run_batch
from knee_cv.cli import main
from knee_cv.core.context import SessionContext
from knee_cv.core.landmarks import LANDMARK_NAMES, Landmark
from knee_cv.core.thresholds import load_thresholds
from knee_cv.errors import KneeCvError
from knee_cv.media.models import ensure_model, sha256_of
from knee_cv.media.trackio import load_csv
from knee_cv.report.markers import metres_per_pixel
from knee_cv.report.tables import FRAME_COLUMNS, ID_COLUMNS, REP_COLUMNS, VIDEO_COLUMNS
from knee_cv.store import sessions as store

pytestmark = pytest.mark.shared

CLIP = "sls_front_hyva6.mp4"  # 6.7 s frontal single-leg squat
SIDE = "squat_side_01.mp4"  # 6.2 s two-leg squat from the side
NO_PERSON = "noperson_01.mp4"  # 10.7 s of a wall
ANALYSED = (CLIP, SIDE)
HEIGHT_M = 1.75
EXPORTS = Exports(tracks=True, trc=True, mot=True, c3d=True, height_m=HEIGHT_M)
#: Files every run of a batch writes again, whatever it resumed.
BATCH_FILES = {"summary.csv", MANIFEST_NAME, *TABLE_NAMES.values()}
# Columns that must agree between two runs over the same bytes.
RESULT_FIELDS = [name for name in SUMMARY_FIELDS if name not in ("seconds", "resumed")]


def _make_inputs(folder: Path, shared_videos: Path, names: dict[str, str]) -> Path:
    """A folder with symlinks to shared clips (under new names), a cut-off video, a text file and a note."""
    folder.mkdir(parents=True)
    for source, name in names.items():
        (folder / name).symlink_to(shared_videos / source)
    # The first 20 kB of a real MP4: the upload that broke off.
    (folder / "broken.mp4").write_bytes((shared_videos / "sls_front_hyva3.mp4").read_bytes()[:20_000])
    (folder / "notes.mov").write_text("Patient 12, left knee, filmed on Monday.\n")
    (folder / "readme.txt").write_text("not a video ending: the folder scan leaves it out\n")
    return folder


#: The main module of the test run, taken before any test runs a Streamlit AppTest.
_RUN_MAIN = sys.modules["__main__"]


@pytest.fixture(scope="module", autouse=True)
def _real_main_module():
    """Spawned worker processes re-import ``__main__``; Streamlit's AppTest (run by other test
    files in the same process) leaves its page script there, in a folder since deleted, so
    every worker would die on start. Put the test run's own main module back for these tests."""
    replaced = sys.modules["__main__"]
    sys.modules["__main__"] = _RUN_MAIN
    yield
    sys.modules["__main__"] = replaced


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, shared_videos) -> Path:
    return _make_inputs(
        tmp_path_factory.mktemp("batch") / "videos", shared_videos, {CLIP: CLIP, SIDE: SIDE, NO_PERSON: NO_PERSON}
    )


@pytest.fixture(scope="module")
def first(inputs, tmp_path_factory):
    out = tmp_path_factory.mktemp("batch_out")
    return run_batch(inputs, out, workers=2, exports=EXPORTS), out


def _by_name(rows) -> dict[str, dict]:
    return {Path(row["file"]).name: row for row in rows}


def _read_summary(out: Path) -> list[dict]:
    with (out / "summary.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_folder_scan_takes_video_endings_only(inputs):
    assert [p.name for p in find_videos(inputs)] == ["broken.mp4", NO_PERSON, "notes.mov", CLIP, SIDE]
    assert [p.name for p in find_videos(str(inputs / "*.txt"))] == ["readme.txt"]


def test_summary_has_a_row_per_video_and_the_bad_ones_say_why(first, inputs):
    result, out = first
    rows = _by_name(result.rows)
    assert sorted(rows) == ["broken.mp4", NO_PERSON, "notes.mov", CLIP, SIDE]
    assert result.failed == 3 and result.analysed == 5
    for name, row in rows.items():
        assert row["sha256"] == sha256_of(inputs / name)
        assert row["resumed"] == "no"
    good = rows[CLIP]
    assert good["status"] == "ok"
    assert good["view"] == "frontal" and good["exercise"] == "single-leg"
    assert good["reps"] >= 1 and 0 <= good["reliable_reps"] <= good["reps"]
    assert good["seconds"] > 0
    data = json.loads((out / good["json"]).read_text())
    assert data["source"] == CLIP and len(data["reps"]) == good["reps"]
    with (out / good["reps_csv"]).open(newline="") as handle:
        assert len(list(csv.DictReader(handle))) == good["reps"]
    assert rows[NO_PERSON]["status"] == "error" and "No person was found" in rows[NO_PERSON]["message"]
    assert rows["notes.mov"]["status"] == "error" and "text file" in rows["notes.mov"]["message"]
    assert rows["broken.mp4"]["status"] == "error" and rows["broken.mp4"]["message"]
    for name in ("broken.mp4", NO_PERSON, "notes.mov"):
        assert rows[name]["json"] == "" and rows[name]["view"] == ""
    # The summary on disk is the same table, and no temporary file is left behind.
    on_disk = _read_summary(out)
    assert [row["file"] for row in on_disk] == [row["file"] for row in result.rows]
    assert {row["status"] for row in on_disk} == {"ok", "error"}
    assert not list(out.rglob("*.part"))


def _decimals(cell: str) -> int:
    return len(cell.split(".")[1]) if "." in cell else 0


def test_the_batch_tables_hold_every_rep_frame_and_video(first, inputs):
    result, out = first
    rows = _by_name(result.rows)
    reps = pd.read_csv(out / "reps.csv")
    frames = pd.read_csv(out / "frames.csv")
    videos = pd.read_csv(out / "videos.csv", keep_default_na=False, dtype=str)
    assert list(reps.columns) == [*ID_COLUMNS, *REP_COLUMNS] and list(frames.columns) == [*ID_COLUMNS, *FRAME_COLUMNS]
    assert list(videos.columns) == list(VIDEO_COLUMNS)
    assert [Path(name).name for name in videos["file"]] == [Path(row["file"]).name for row in result.rows]
    for name in ANALYSED:
        row = rows[name]
        data = json.loads((out / row["json"]).read_text())
        own = reps[reps["file"] == str(inputs / name)]
        assert len(own) == len(data["reps"]) > 0 and own["rep"].tolist() == list(range(1, len(own) + 1))
        assert set(own["sha256"]) == {row["sha256"]}
        for (_, line), rep in zip(own.iterrows(), data["reps"]):
            assert line["t_bottom_s"] == round(rep["t_bottom"], 3) and line["leg"] == rep["leg"]
            assert line["reliable"] == rep["reliable"] and line["confidence"] == round(rep["confidence"], 2)
            measured = line["fppa_bottom_deg"]
            if rep["reliable"] and rep["fppa_bottom_deg"] is not None:
                assert measured == round(rep["fppa_bottom_deg"], 1)
            else:
                assert math.isnan(measured) and math.isnan(line["depth_leg_lengths"])  # unreliable: blank
        series = frames[frames["file"] == str(inputs / name)]
        assert series["t_s"].tolist() == [round(t, 3) for t in data["series"]["t"]]
        assert np.allclose(
            series["hip_drop_leg_lengths"], np.array(data["series"]["hip_drop"], dtype=float), atol=5e-4, equal_nan=True
        )
        video = videos[videos["file"] == str(inputs / name)].iloc[0]
        assert video["status"] == "ok" and video["fps_hz"] == "30.0" and int(video["frames_analysed"]) == len(series)
        assert 0.9 <= float(video["detection_share"]) <= 1 and video["view"] == str(row["view"])
        assert float(video["processing_s"]) == row["seconds"] and video["reps"] == str(len(own))
    clip, side = (videos[videos["file"] == str(inputs / name)].iloc[0] for name in ANALYSED)
    assert (clip["width_px"], clip["height_px"], clip["duration_s"]) == ("406", "720", "6.7")
    assert (side["width_px"], side["height_px"], side["duration_s"]) == ("540", "960", "6.233")
    assert clip["camera_roll_source"] == "frames standing on both feet" and clip["camera_roll_deg"] != ""
    nobody = videos[videos["file"] == str(inputs / NO_PERSON)].iloc[0]
    assert nobody["status"] == "error" and nobody["detection_share"] == "0.0" and int(nobody["frames_analysed"]) > 300
    notes = videos[videos["file"] == str(inputs / "notes.mov")].iloc[0]
    assert notes["status"] == "error" and notes["fps_hz"] == notes["frames_analysed"] == ""
    # Every number is written to the places its unit allows, no more.
    for table in ("reps.csv", "frames.csv", "videos.csv"):
        text = pd.read_csv(out / table, dtype=str, keep_default_na=False)
        for column in text.columns:
            limit = {"_deg": 1, "_s": 3, "_leg_lengths": 3, "confidence": 2, "_hz": 3, "_share": 3}
            digits = next((d for end, d in limit.items() if column.endswith(end)), None)
            if digits is not None:
                assert max(_decimals(cell) for cell in text[column]) <= digits, (table, column)


def test_the_manifest_says_how_the_batch_was_made(first):
    _, out = first
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    assert manifest["knee_cv"] == knee_cv.__version__
    model = ensure_model()
    assert manifest["model"] == {"id": model.model_id, "variant": "full", "sha256": model.sha256, "file": model.path.name}
    assert manifest["thresholds"] == load_thresholds().as_dict()
    settings = manifest["settings"]
    assert settings["exports"] == {"tracks": True, "trc": True, "mot": True, "c3d": True, "height_m": HEIGHT_M}
    assert (settings["sex"], settings["max_rate_hz"], settings["mirrored"], settings["workers"]) == (None, 30.0, False, 2)
    assert manifest["environment"]["python"] == platform.python_version()
    assert manifest["environment"]["packages"]["mediapipe"]
    assert manifest["started"] <= manifest["ended"]
    assert manifest["videos"] == {"found": 5, "with_a_row": 5, "resumed": 0, "failed": 3}


def test_the_landmark_files_are_read_back(first, inputs, opensim):
    import c3d

    result, out = first
    videos = pd.read_csv(out / "videos.csv")
    for name in ANALYSED:
        stem = _by_name(result.rows)[name]["json"].removesuffix(".json")
        track = load_csv(out / f"{stem}.track.csv")
        frames = int(videos.loc[videos["file"] == str(inputs / name), "frames_analysed"].iloc[0])
        assert len(track) == frames and track.model == ensure_model().model_id
        scale = metres_per_pixel(track, HEIGHT_M)
        markers = opensim.TimeSeriesTableVec3(str(out / f"{stem}.trc"))
        assert markers.getNumRows() == frames and list(markers.getColumnLabels()) == list(LANDMARK_NAMES)
        assert markers.getTableMetaDataAsString("Units") == "m"
        knee = np.array([list(markers.getDependentColumn("right_knee")[i].to_numpy()) for i in range(frames)])
        expected = np.stack([track.xy[:, Landmark.RIGHT_KNEE, 0], track.height - track.xy[:, Landmark.RIGHT_KNEE, 1]], 1)
        assert np.allclose(knee[:, :2], expected * scale, atol=1e-4, equal_nan=True)
        motion = opensim.TimeSeriesTable(str(out / f"{stem}.mot"))
        table = pd.read_csv(out / f"{stem}.frames.csv")
        for column in ("fppa_left", "knee_flexion_right", "pelvic_drop"):
            values = np.array(motion.getDependentColumn(column).to_numpy())
            assert np.array_equal(values, table[f"{column}_deg"].to_numpy(), equal_nan=True), column
        with (out / f"{stem}.c3d").open("rb") as handle, warnings.catch_warnings():
            warnings.filterwarnings("ignore", "No analog data", UserWarning)
            reader = c3d.Reader(handle)
            assert reader.frame_count == frames and reader.get("POINT:UNITS").string_value.strip() == "mm"
            points = np.stack([p for _, p, _ in reader.read_frames()])
        valid = points[:, Landmark.RIGHT_KNEE, 3] >= 0
        assert np.array_equal(valid, np.isfinite(expected).all(axis=1))
        assert np.allclose(points[valid, Landmark.RIGHT_KNEE, :2], 1000 * scale * expected[valid], atol=0.01)


def test_a_second_batch_reanalyses_nothing_even_after_renaming(first, inputs, tmp_path, capsys):
    result, out = first
    renamed = tmp_path / "renamed"
    renamed.mkdir()
    for path in inputs.iterdir():
        shutil.copy(path, renamed / f"new_{path.name}")  # copies, so new names and no links
    before = {path: path.stat().st_mtime_ns for path in out.rglob("*") if path.is_file() and path.name not in BATCH_FILES}
    status = main(["batch", str(renamed), "-o", str(out)])
    assert status == 1  # the bad files are still bad
    again = _read_summary(out)
    assert len(again) == 5 and {row["resumed"] for row in again} == {"yes"}
    assert [(row["sha256"], row["status"], row["json"]) for row in sorted(again, key=lambda r: r["sha256"])] == [
        (row["sha256"], row["status"], row["json"]) for row in sorted(result.rows, key=lambda r: r["sha256"])
    ]
    assert {Path(row["file"]).name for row in again} == {f"new_{name}" for name in _by_name(result.rows)}
    after = {path: path.stat().st_mtime_ns for path in before}
    assert after == before  # no result file was written again
    captured = capsys.readouterr()
    assert "0 run now, 5 kept from an earlier batch, 3 failed" in captured.out
    problems = [line for line in captured.err.splitlines() if line.startswith("knee-cv: ")]
    assert len(problems) == 3 and any("new_notes.mov" in line and "text file" in line for line in problems)


def test_a_missing_record_is_redone_and_only_that(first, inputs, tmp_path):
    _, out = first
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    (copy / ".batch" / f"{sha256_of(inputs / 'notes.mov')}.json").unlink()
    result = run_batch(inputs, copy)
    assert result.analysed == 1
    assert {row["file"]: row["resumed"] for row in result.rows} == {
        str(inputs / name): ("no" if name == "notes.mov" else "yes") for name in _by_name(result.rows)
    }
    # A file asked for that is not there (a MOT deleted, or never asked for before) redoes that video.
    (mot,) = copy.glob(f"{Path(CLIP).stem}-*.mot")
    mot.unlink()
    result = run_batch(inputs, copy, exports=Exports(mot=True))
    assert result.analysed == 1 and mot.is_file()
    assert {Path(row["file"]).name for row in result.rows if row["resumed"] == "no"} == {CLIP}


def test_ray_gives_the_same_summary(first, inputs, tmp_path, ray_module):
    ray = ray_module
    result, _ = first
    ray.init(num_cpus=2, include_dashboard=False)
    try:
        on_ray = run_batch(inputs, tmp_path / "out", ray=True)
    finally:
        ray.shutdown()
    assert [{k: row[k] for k in RESULT_FIELDS} for row in on_ray.rows] == [
        {k: row[k] for k in RESULT_FIELDS} for row in result.rows
    ]
    good = _by_name(result.rows)[CLIP]
    assert (tmp_path / "out" / good["json"]).read_bytes() == (first[1] / good["json"]).read_bytes()


def test_save_each_video_under_its_folder_name(shared_videos, tmp_path):
    root = tmp_path / "clinic"
    (root / "P007").mkdir(parents=True)
    (root / "P007" / "monday.mp4").symlink_to(shared_videos / CLIP)
    db_url = f"sqlite:///{tmp_path / 'knee.sqlite3'}"
    out = tmp_path / "out"
    status = main(["batch", str(root), "-o", str(out), "--recursive", "--save", "--subject-from-folder", "--db", db_url])
    assert status == 0
    (row,) = _read_summary(out)
    (session,) = store.list_sessions("P007", db_url=db_url)
    assert row["session_id"] == str(session.id) and session.video_hash == row["sha256"]
    assert len(store.load_key_frames(session.id, db_url=db_url)) == session.n_reps == int(row["reps"])
    assert main(["batch", str(root), "-o", str(out), "-r", "--save", "--subject-from-folder", "--db", db_url]) == 0
    assert len(store.list_sessions("P007", db_url=db_url)) == 1  # the second batch saved nothing again
    # Killed after the save and before its own record (issue 17: 2 of 6 kill -9 runs landed there): the
    # resumed batch analyses the video again and finds the session instead of saving a second one.
    (record,) = (out / ".batch").glob(f"{row['sha256']}.json")
    record.unlink()
    assert main(["batch", str(root), "-o", str(out), "-r", "--save", "--subject-from-folder", "--db", db_url]) == 0
    assert [s.id for s in store.list_sessions("P007", db_url=db_url)] == [session.id]
    (again,) = _read_summary(out)
    assert again["session_id"] == str(session.id) and again["resumed"] == "no"


def test_a_saved_session_is_dated_and_described_by_the_file(shared_videos, tmp_path):
    """A clip whose MP4 says when it was made: the batch's save records that time and day, the sex and mirroring."""
    (tmp_path / "P008").mkdir()
    (tmp_path / "P008" / "tagged.mp4").write_bytes(with_creation_time(shared_videos / CLIP, "2026-10-02T07:45:00.000000Z"))
    db_url = f"sqlite:///{tmp_path / 'knee.sqlite3'}"
    argv = ["batch", str(tmp_path / "P008"), "-o", str(tmp_path / "out"), "--save", "--subject", "P008", "--sex", "male"]
    assert main([*argv, "--db", db_url]) == 0
    (session,) = store.list_sessions("P008", db_url=db_url)
    assert session.recorded_at == datetime(2026, 10, 2, 7, 45, tzinfo=timezone.utc)
    assert session.context == SessionContext(sex="male", filmed_on=date(2026, 10, 2), mirrored=False)


def test_a_glob_reaching_into_its_own_output_folder_leaves_the_results_out(first, inputs, tmp_path):
    _, out = first
    work = tmp_path / "work"
    shutil.copytree(inputs, work, symlinks=True)
    shutil.copytree(out, work / "results")  # the earlier results: everything already done is kept
    result = run_batch(f"{work}/**", work / "results")
    files = {Path(row["file"]) for row in result.rows}
    assert files == {path for path in work.iterdir() if path.is_file()}  # the glob's own files, no result file
    assert result.analysed == 1  # readme.txt, which the folder scan had left out


#: 8.7 s frontal single-leg squat on the right leg (2 reps), given its own settings in the overrides test.
OWN = "sls_front_hyva_ja_paha.mp4"


def test_an_overrides_file_gives_one_video_its_own_sex_and_mirroring(shared_videos, tmp_path):
    """The regression record of OWN (unmirrored, sex-neutral) says its reps are on the right leg."""
    videos = tmp_path / "videos"
    videos.mkdir()
    for name in (CLIP, OWN):
        (videos / name).symlink_to(shared_videos / name)
    overrides = tmp_path / "overrides.csv"
    overrides.write_text(f"file,sex,mirrored\n{OWN},male,yes\n")
    out = tmp_path / "out"
    assert main(["batch", str(videos), "-o", str(out), "--overrides", str(overrides), "--workers", "2"]) == 0
    rows = _by_name(_read_summary(out))
    own, plain = json.loads((out / rows[OWN]["json"]).read_text()), json.loads((out / rows[CLIP]["json"]).read_text())
    male, neutral = load_thresholds(sex="male").as_dict()["knee_valgus"], load_thresholds().as_dict()["knee_valgus"]
    assert male["value"] != neutral["value"]
    assert own["thresholds"]["knee_valgus"] == male and plain["thresholds"]["knee_valgus"] == neutral
    flags = [flag for rep in own["reps"] for flag in rep["flags"] if flag["criterion"] == "knee_valgus"]
    assert flags and all(f"above the {male['value']:.1f} deg threshold (Ghulam 2021" in flag["reason"] for flag in flags)
    # Mirrored: said in the messages, and the frames flipped back put the reps on the other leg.
    assert "mirrored picture" in rows[OWN]["message"] and "mirrored" not in rows[CLIP]["message"]
    assert any("mirrored picture" in message for message in own["summary"]["messages"])
    unmirrored = json.loads((Path(__file__).parent.parent / "data" / "regression" / f"{OWN}.json").read_text())
    assert {rep["leg"] for rep in unmirrored["reps"]} == {"right"} and {rep["leg"] for rep in own["reps"]} == {"left"}
    clips = pd.read_csv(out / TABLE_NAMES["videos"]).set_index("file")
    assert clips.loc[str(videos / OWN), "mirrored"] and not clips.loc[str(videos / CLIP), "mirrored"]
    reps = pd.read_csv(out / TABLE_NAMES["reps"])
    assert set(reps.loc[reps["file"] == str(videos / OWN), "leg"]) == {"left"}
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    assert manifest["settings"]["overrides"] == {
        "file": str(overrides),
        "videos": {str(videos / OWN): {"sex": "male", "mirrored": True}},
    }
    # The row is part of each video's resume key: the same rows keep both; a new row redoes that video only.
    assert run_batch(videos, out, overrides=overrides).resumed == 2
    overrides.write_text(f"file,sex,mirrored\n{OWN},male,yes\n{CLIP},male,no\n")
    again = run_batch(videos, out, overrides=overrides)
    assert (again.analysed, again.resumed) == (1, 1) and _by_name(again.rows)[CLIP]["resumed"] == "no"
    redone = json.loads((out / _by_name(again.rows)[CLIP]["json"]).read_text())
    assert redone["thresholds"]["knee_valgus"] == male
    # Two copies of one video that the rows would analyse differently: one sentence before any analysis.
    (videos / "copy.mp4").symlink_to(shared_videos / CLIP)
    with pytest.raises(
        KneeCvError,
        match=r"^.*copy\.mp4 and .*sls_front_hyva6\.mp4 are the same video \(the same "
        r"bytes\) but the overrides file gives them different settings",
    ):
        run_batch(videos, tmp_path / "out2", overrides=overrides)


def test_save_needs_a_subject(tmp_path, capsys):
    assert main(["batch", str(tmp_path), "-o", str(tmp_path / "out"), "--save"]) == 2
    assert "--save needs --subject" in capsys.readouterr().err


def test_an_empty_folder_says_so(tmp_path, capsys):
    assert main(["batch", str(tmp_path), "-o", str(tmp_path / "out")]) == 2
    assert "No videos" in capsys.readouterr().err
