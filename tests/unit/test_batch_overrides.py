"""``knee-cv batch --overrides FILE.csv``: reading the file, on real CSV files and a real folder (no model).

The videos here are empty files with video endings: an overrides file is read
and checked against the names a batch found before any video is opened, so a
mistake in it is one sentence before the pose model or any hashing. The batch
over real clips with overrides is in ``tests/integration/test_batch.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from knee_cv.batch import Override, Settings, find_videos, read_overrides, source_folder
from knee_cv.cli import main
from knee_cv.errors import KneeCvError


@pytest.fixture
def folder(tmp_path) -> Path:
    """clinic/a.mp4, clinic/b.MOV, clinic/p2/a.mp4 (a second a.mp4 in a subfolder)."""
    root = tmp_path / "clinic"
    (root / "p2").mkdir(parents=True)
    for name in ("a.mp4", "b.MOV", "p2/a.mp4"):
        (root / name).write_bytes(b"")
    return root


def _csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


def test_rows_by_name_and_by_relative_path_blank_cells_keep_the_batch_setting(folder, tmp_path):
    videos = find_videos(folder, recursive=True)
    # A spreadsheet's byte-order mark, any case and spaces in the header, blank lines.
    overrides = _csv(tmp_path / "o.csv", "\ufeffFile, Sex ,mirrored\nb.MOV,Male,\n./p2/a.mp4,,YES\n\n,,\n")
    found = read_overrides(overrides, videos, folder)
    assert found == {folder / "b.MOV": Override(sex="male"), folder / "p2" / "a.mp4": Override(mirrored=True)}
    batch = Settings(sex="female", mirrored=False, max_rate_hz=15.0)
    assert found[folder / "b.MOV"].applied(batch) == Settings(sex="male", mirrored=False, max_rate_hz=15.0)
    assert found[folder / "p2" / "a.mp4"].applied(batch) == Settings(sex="female", mirrored=True, max_rate_hz=15.0)


def test_a_name_two_videos_have_needs_its_path(folder, tmp_path):
    (folder / "p3").mkdir()
    (folder / "p3" / "a.mp4").write_bytes(b"")
    videos = find_videos(folder, recursive=True)
    # "a.mp4" is the path of clinic/a.mp4 itself: that one, not the name of the others.
    found = read_overrides(_csv(tmp_path / "o.csv", "file,sex\na.mp4,female\n"), videos, folder)
    assert found == {folder / "a.mp4": Override(sex="female")}
    (folder / "a.mp4").unlink()
    with pytest.raises(
        KneeCvError,
        match=r"^Line 2 of .*o\.csv names a\.mp4, which several videos of this batch "
        r"are called; give its path relative to .*clinic instead \(p2/a\.mp4 or "
        r"p3/a\.mp4\)\.$",
    ):
        read_overrides(tmp_path / "o.csv", find_videos(folder, recursive=True), folder)


def test_only_the_columns_given_are_needed(folder, tmp_path):
    videos = find_videos(folder)
    found = read_overrides(_csv(tmp_path / "o.csv", "mirrored,file\nno,a.mp4\n1,b.MOV\n"), videos, folder)
    assert found == {folder / "a.mp4": Override(mirrored=False), folder / "b.MOV": Override(mirrored=True)}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            "file,sex\nc.mp4,male\n",
            r"^Line 2 of .* names the file c\.mp4, which is not a video of this batch; give a "
            r"video's name or its path relative to .*clinic\.$",
        ),
        ("file,sex\n,male\n", r"^Line 2 of .* has no file; "),
        ("file,sex\na.mp4,f\n", r"^Line 2 of .* gives the sex f; write female or male, or leave it blank"),
        ("file,mirrored\na.mp4,selfie\n", r"^Line 2 of .* gives mirrored as selfie; write yes or no"),
        ("file,sex\na.mp4,male\nb.MOV,female\n./a.mp4,\n", r"^Line 4 of .* names .*a\.mp4 again; give each video one row\.$"),
        ("file,sex\na.mp4,male,extra\n", r"^Line 2 of .* has more cells than its header has columns \(file, sex\)\.$"),
        (
            "file,stance_leg,exercise\na.mp4,left,single-leg\n",
            r"^The overrides file .* has the columns file, stance_leg, exercise; it needs file and any of sex, mirrored, "
            r"each once \(the stance leg and exercise are found by the analysis\)\.$",
        ),
        ("sex,mirrored\nmale,yes\n", r"has the columns sex, mirrored; it needs file"),
        ("file,sex,SEX\na.mp4,male,male\n", r"has the columns file, sex, SEX; it needs file and any of sex, mirrored, each once"),
        ("", r"^The overrides file .* is empty; its first line names the columns \(file, sex, mirrored\)\.$"),
    ],
)
def test_a_mistake_is_one_sentence_naming_its_line(folder, tmp_path, text, says):
    with pytest.raises(KneeCvError, match=says):
        read_overrides(_csv(tmp_path / "o.csv", text), find_videos(folder), folder)


def test_a_file_that_is_not_a_csv_text_or_not_there(folder, tmp_path):
    videos = find_videos(folder)
    with pytest.raises(KneeCvError, match=r"^The overrides file .*o\.csv is not a CSV text file \(UTF-8\); save it as CSV\.$"):
        read_overrides(_csv(tmp_path / "o.csv", "file,sex\nä.mp4,male\n", encoding="latin-1"), videos, folder)
    with pytest.raises(KneeCvError, match=r"^The overrides file .*none\.csv cannot be read \(No such file or directory\)\.$"):
        read_overrides(tmp_path / "none.csv", videos, folder)


def test_the_source_folder_of_a_folder_a_file_and_a_glob(folder):
    assert source_folder(folder) == folder
    assert source_folder(folder / "b.MOV") == folder
    assert source_folder(f"{folder}/**/*.mp4") == folder
    assert source_folder("*.mp4") == Path()


def test_the_command_line_says_it_before_any_work(folder, tmp_path, capsys):
    out = tmp_path / "out"
    overrides = _csv(tmp_path / "o.csv", "file,sex\nb.MOV,males\n")
    assert main(["batch", str(folder), "-o", str(out), "--overrides", str(overrides), "--model", "/no/such.task"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("knee-cv: Line 2 of ") and "gives the sex males" in error and error.count("\n") == 1
    assert not out.exists()  # nothing made: not even the output folder
