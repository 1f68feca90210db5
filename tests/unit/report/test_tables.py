"""The researcher's tables and field formats on a synthetic squat track (no model, no shared data).

Rep and frame tables: units in the column names, numbers rounded to what is
measured, the measures of an unreliable rep blank. TRC and MOT files are read
back with a parser written from the formats' published layout (OpenSim's
"Marker (.trc) Files" and "Storage (.mot) Files" pages) and with OpenSim's own
Python package; C3D with the ``c3d`` package that wrote it.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from synthetic import synthetic_squats

import knee_cv
from knee_cv.core.landmarks import LANDMARK_NAMES, Landmark
from knee_cv.report import exports
from knee_cv.report.c3dfile import write_c3d
from knee_cv.report.markers import LEG_SHARE_OF_HEIGHT, check_height, metres_per_pixel
from knee_cv.report.opensim import MOT_COLUMNS, write_mot, write_trc
from knee_cv.report.tables import DIGITS, REP_MEASURES, frame_table, rep_table, rounded

HEIGHT_M = 1.75


@pytest.fixture(scope="module")
def squats():
    """Three left-leg squats, 12 deg valgus, 5 % of frames without a pose, and their analysis."""
    track, _ = synthetic_squats(n_reps=3, stance_legs="left", valgus_deg=12.0, dropout_rate=0.05, seed=1)
    return track, knee_cv.analyze(track)


def _decimals(cell: str) -> int:
    return len(cell.split(".")[1]) if "." in cell else 0


def test_numbers_are_rounded_by_the_unit_their_column_names():
    table = rounded(
        pd.DataFrame(
            {
                "a_deg": [12.34567],
                "t_s": [1 / 30],
                "depth_leg_lengths": [0.123456],
                "confidence": [0.87654],
                "count": [7],
                "note": ["x"],
            }
        )
    )
    assert table.iloc[0].tolist() == [12.3, 0.033, 0.123, 0.88, 7, "x"]


def test_an_unreliable_rep_keeps_its_times_and_reasons_but_no_measure(squats, tmp_path):
    _, analysis = squats
    second = replace(analysis.reps[1], reliable=False, unreliable_reasons=["the knee was hidden"])
    doubtful = replace(analysis, reps=[analysis.reps[0], second, *analysis.reps[2:]])
    path = exports.write_reps_csv(doubtful, tmp_path / "reps.csv", {"file": "clip.mp4", "sha256": "0e12", "subject": "P1"})
    text = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(text["rep"]) == ["1", "2", "3"] and set(text["file"]) == {"clip.mp4"}
    assert set(text["sha256"]) == {"0e12"}  # a hash stays text
    assert all(text.loc[1, column] == "" for column in REP_MEASURES)
    assert text.loc[1, "unreliable_reasons"] == "the knee was hidden" and text.loc[1, "reliable"] == "False"
    assert text.loc[1, "t_bottom_s"] != "" and text.loc[1, "confidence"] != ""
    assert all(
        text.loc[i, column] != "" for i in (0, 2) for column in ("fppa_bottom_deg", "fppa_bottom_sd_deg", "depth_leg_lengths")
    )
    for column in text.columns:
        digits = next((d for end, d in DIGITS.items() if column.endswith(end)), None)
        if digits is not None:
            assert max(_decimals(cell) for cell in text[column]) <= digits, column
    table = rep_table(analysis)
    assert table["fppa_bottom_deg"].tolist() == [round(rep.fppa_bottom_deg, 1) for rep in analysis.reps]
    assert table["fppa_bottom_deg"].tolist() == pytest.approx([12.0] * 3, abs=0.1)


def test_the_frame_table_has_every_frame_and_the_rep_it_belongs_to(squats):
    track, analysis = squats
    table = frame_table(analysis)
    assert len(table) == len(track) and table["frame"].tolist() == list(range(len(track)))
    for rep in analysis.reps:
        assert (table.loc[rep.start_frame : rep.end_frame, "rep"] == rep.index + 1).all()
    assert table["rep"].isna().sum() == len(track) - sum(r.end_frame - r.start_frame + 1 for r in analysis.reps)
    assert np.allclose(table["fppa_left_deg"], analysis.series.left.fppa, atol=0.05, equal_nan=True)
    assert analysis.series_frame().equals(table) and analysis.reps_frame().equals(rep_table(analysis))


def _read_trc(path):
    """A TRC file by its published layout: 5 header lines, then Frame#, Time and X, Y, Z of each marker."""
    lines = path.read_text(encoding="utf-8").splitlines()
    kind = lines[0].split("\t")
    assert kind[:3] == ["PathFileType", "4", "(X/Y/Z)"] and kind[3] == path.name
    header = dict(zip(lines[1].split("\t"), lines[2].split("\t")))
    names = [cell for cell in lines[3].split("\t")[2:] if cell]
    axes = lines[4].split("\t")
    assert axes[:2] == ["", ""] and axes[2:] == [f"{a}{i}" for i in range(1, len(names) + 1) for a in "XYZ"]
    rows = [line.split("\t") for line in lines[5:]]
    assert all(len(row) == 2 + 3 * len(names) for row in rows)
    frames = [int(row[0]) for row in rows]
    times = np.array([float(row[1]) for row in rows])
    xyz = np.array([[float(cell) for cell in row[2:]] for row in rows]).reshape(len(rows), len(names), 3)
    return header, names, frames, times, xyz


def test_trc_follows_the_published_layout_in_pixels_and_metres(squats, tmp_path):
    track, _ = squats
    header, names, frames, times, xyz = _read_trc(write_trc(track, tmp_path / "squat.trc"))
    assert names == list(LANDMARK_NAMES) and int(header["NumMarkers"]) == 33
    assert int(header["NumFrames"]) == int(header["OrigNumFrames"]) == len(track) and frames == list(range(1, len(track) + 1))
    assert header["Units"] == "px" and float(header["DataRate"]) == pytest.approx(30.0)
    assert np.allclose(times, track.t, atol=5e-4)
    knee = Landmark.LEFT_KNEE
    assert np.allclose(xyz[:, knee, 0], track.xy[:, knee, 0], atol=0.05, equal_nan=True)
    assert np.allclose(xyz[:, knee, 1], track.height - track.xy[:, knee, 1], atol=0.05, equal_nan=True)  # Y up
    missing = ~track.has_pose
    assert missing.any() and np.isnan(xyz[missing]).all() and not np.isnan(xyz[~missing]).any()

    header, _, _, _, metres = _read_trc(write_trc(track, tmp_path / "squat_m.trc", height_m=HEIGHT_M))
    assert header["Units"] == "m"
    scale = metres_per_pixel(track, HEIGHT_M)
    assert np.allclose(metres, xyz * scale, atol=2e-4, equal_nan=True)  # both rounded: 0.1 px, 0.1 mm
    # The standing leg (hip to ankle) comes out at its share of the height given.
    leg = np.linalg.norm(metres[:, Landmark.LEFT_HIP] - metres[:, Landmark.LEFT_ANKLE], axis=1)
    assert np.nanpercentile(leg, 90) == pytest.approx(LEG_SHARE_OF_HEIGHT * HEIGHT_M, rel=0.02)


def test_mot_follows_the_published_layout(squats, tmp_path):
    _, analysis = squats
    lines = write_mot(analysis, tmp_path / "squat.mot").read_text(encoding="utf-8").splitlines()
    end = lines.index("endheader")
    header = dict(line.split("=", 1) for line in lines[1:end])
    assert lines[0] == "squat" and header == {
        "version": "1",
        "nRows": str(len(analysis.series)),
        "nColumns": str(len(MOT_COLUMNS) + 1),
        "inDegrees": "yes",
    }
    table = pd.read_csv(tmp_path / "squat.mot", sep="\t", skiprows=end + 1)
    assert list(table.columns) == ["time", *(name for name, _ in MOT_COLUMNS)] and len(table) == len(analysis.series)
    assert np.allclose(table["fppa_left"], analysis.series.left.fppa, atol=0.05, equal_nan=True)
    assert np.allclose(table["pelvic_drop"], analysis.series.pelvic_drop, atol=0.05, equal_nan=True)


def test_opensim_reads_the_trc_and_mot_files(squats, tmp_path, opensim):
    track, analysis = squats
    markers = opensim.TimeSeriesTableVec3(str(write_trc(track, tmp_path / "squat.trc", height_m=HEIGHT_M)))
    assert markers.getNumRows() == len(track) and list(markers.getColumnLabels()) == list(LANDMARK_NAMES)
    assert markers.getTableMetaDataAsString("Units") == "m"
    first = int(np.flatnonzero(track.has_pose)[0])
    knee = markers.getDependentColumn("left_knee")[first]
    scale = metres_per_pixel(track, HEIGHT_M)
    assert [knee[0], knee[1], knee[2]] == pytest.approx(
        [track.xy[first, Landmark.LEFT_KNEE, 0] * scale, (track.height - track.xy[first, Landmark.LEFT_KNEE, 1]) * scale, 0],
        abs=1e-4,
    )
    gap = int(np.flatnonzero(~track.has_pose)[0])
    assert math.isnan(markers.getDependentColumn("left_knee")[gap][0])
    motion = opensim.TimeSeriesTable(str(write_mot(analysis, tmp_path / "squat.mot")))
    assert motion.getNumRows() == len(analysis.series) and motion.getTableMetaDataAsString("inDegrees") == "yes"
    fppa = np.array([motion.getDependentColumn("fppa_left")[i] for i in range(motion.getNumRows())])
    assert np.allclose(fppa, analysis.series.left.fppa, atol=0.05, equal_nan=True)


def test_c3d_is_read_back_by_the_c3d_package(squats, tmp_path):
    import c3d

    track, _ = squats
    for height, unit, factor in ((None, "px", 1.0), (HEIGHT_M, "mm", 1000 * metres_per_pixel(track, HEIGHT_M))):
        path = write_c3d(track, tmp_path / f"squat_{unit}.c3d", height_m=height)
        with path.open("rb") as handle, warnings.catch_warnings():
            warnings.filterwarnings("ignore", "No analog data", UserWarning)
            reader = c3d.Reader(handle)
            assert [label.strip() for label in reader.point_labels] == list(LANDMARK_NAMES)
            assert reader.point_rate == pytest.approx(30.0) and reader.frame_count == len(track)
            assert reader.get("POINT:UNITS").string_value.strip() == unit
            frames = [points for _, points, _ in reader.read_frames()]
        points = np.stack(frames)
        valid = points[:, :, 3] >= 0
        assert np.array_equal(valid, np.isfinite(track.xy).all(axis=2))
        expected = np.stack([track.xy[..., 0], track.height - track.xy[..., 1]], axis=-1) * factor
        assert np.allclose(points[valid][:, :2], expected[valid], rtol=1e-6, atol=1e-3 * factor)
        assert (points[valid][:, 2] == 0).all()


def test_a_height_in_centimetres_is_one_sentence():
    assert check_height(None) is None and check_height(1.8) == 1.8
    with pytest.raises(knee_cv.KneeCvError, match="give it in metres"):
        check_height(180)
