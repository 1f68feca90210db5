"""The home exercise sheet PDF, read back with poppler: pages, what comes first, pictures, tick boxes."""

from __future__ import annotations

import subprocess
from datetime import datetime, timezone

import numpy as np
from PIL import Image
from test_report import ARTIFACTS, _poppler

from knee_cv.core.criteria import BY_NAME
from knee_cv.core.exercises import recommend
from knee_cv.core.plan import build_plan, catalog_item, plan_from_items
from knee_cv.report.exercise_sheet import sheet_pdf

ALL = list(BY_NAME)
MADE = datetime(2025, 3, 4, 9, 30, tzinfo=timezone.utc)


def read_back(data: bytes, tmp_path, name: str) -> tuple[str, int, list]:
    """The sheet's text (pdftotext -raw), its page count and its pages as RGB arrays."""
    pdf = tmp_path / f"{name}.pdf"
    pdf.write_bytes(data)
    text = subprocess.run([_poppler("pdftotext"), "-raw", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    info = subprocess.run([_poppler("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[1] for line in info.splitlines() if line.startswith("Pages:")))
    ARTIFACTS.mkdir(exist_ok=True)
    prefix = ARTIFACTS / f"exercise_sheet_{name}"
    for old in ARTIFACTS.glob(f"{prefix.name}-*.png"):
        old.unlink()
    subprocess.run([_poppler("pdftoppm"), "-r", "50", "-png", str(pdf), str(prefix)], check=True)
    images = [np.asarray(Image.open(p).convert("RGB")).astype(int) for p in sorted(ARTIFACTS.glob(f"{prefix.name}-*.png"))]
    return " ".join(text.split()), pages, images


def test_a_full_plan_fits_two_pages_with_the_safety_note_first_and_a_picture_per_exercise(tmp_path):
    plan = build_plan(recommend(ALL, {f: ["left"] for f in ALL}), ALL)
    text, pages, images = read_back(sheet_pdf(plan, subject="RUN-017", source="sls_front.mp4", made=MADE), tmp_path, "full")
    assert pages == 2 == len(images)
    first = text.index("Read this first")
    assert first < text.index("How it works") < text.index("1. " + plan.exercises[0].name)
    assert "not a diagnosis" in text[first : first + 400] and "3 out of 10" in text
    positions = [text.index(f"{i}. {e.name}") for i, e in enumerate(plan.exercises, start=1)]
    assert positions == sorted(positions) and len(positions) == 6
    for exercise in plan.exercises:
        assert exercise.steps[0][:40] in text and exercise.stop[:30] in text
    assert text.count("wk 6") == 6 and "Weeks 5-6" in text
    assert "Also suggested" in text and all(rec.name in text for rec in plan.also)
    assert "RUN-017" in text and "sls_front.mp4" in text and "2025-03-04" in text
    assert "Checked by your physiotherapist" in text
    listing = subprocess.run(
        [_poppler("pdfimages"), "-list", "-"], input=sheet_pdf(plan, made=MADE), capture_output=True, check=True
    ).stdout.decode()
    assert len([line for line in listing.splitlines()[2:] if line.strip()]) >= 6  # one picture (and its mask) each
    orange = sum(int(((np.abs(page - [235, 125, 35])).sum(axis=2) < 60).sum()) for page in images)
    assert orange > 300  # the moving parts are drawn


def test_a_prescribed_short_plan_is_one_page_naming_the_prescriber(tmp_path):
    plan = build_plan(recommend(["shallow"]), ["shallow"])
    data = sheet_pdf(plan, subject="Päivi Ø", prescribed_by="A. Virtanen", prescribed_on=datetime(2025, 3, 1), made=MADE)
    text, pages, _ = read_back(data, tmp_path, "short")
    assert pages == 1
    assert "Prescribed by A. Virtanen on 2025-03-01" in text and "Checked by" not in text
    assert "Päivi" in text  # Latin-1 prints as is
    assert "every day" in text and "for: shallow squat" in text


def test_no_finding_gives_the_safety_note_and_says_so(tmp_path):
    text, pages, _ = read_back(sheet_pdf(build_plan([]), made=MADE), tmp_path, "empty")
    assert pages == 1 and "Read this first" in text and "No finding" in text and "How it works" not in text


def test_a_prescription_prints_its_order_doses_and_notes_as_typed(tmp_path):
    items = [catalog_item("knee_to_wall"), catalog_item("clamshells")]
    items[1] = items[1] | {"days_per_week": 4, "note": "slow, **no** band yet"}
    items[1]["doses"][0] = items[1]["doses"][0] | {"sets": 2, "reps": 20}
    text, pages, _ = read_back(
        sheet_pdf(plan_from_items(items), prescribed_by="A. Virtanen", prescribed_on=datetime(2025, 3, 1), made=MADE),
        tmp_path,
        "prescribed",
    )
    assert pages == 1 and "Prescribed by A. Virtanen on 2025-03-01" in text
    assert text.index("1. Knee-to-wall ankle mobility") < text.index("2. Clamshells")
    assert "4 days a week" in text and "2 sets of 20 each side" in text
    assert "Note from your physiotherapist: slow, **no** band yet" in text
