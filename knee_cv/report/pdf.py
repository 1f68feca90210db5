"""The PDF report of a saved session, and the reference wording it shares with the review page.

Units and signs follow :mod:`knee_cv.core.result`: angles in degrees, FPPA
positive = valgus, pelvic drop positive = free-leg side lower, trunk lean
positive = toward the stance leg, depth and knee wobble as fractions of leg
length. Missing values are "-". Reps are numbered from 1 (``Rep.index + 1``).
What is shown of a rep follows :mod:`knee_cv.core.shown`: an unreliable
rep's angles are blank, with the reason, and a rep a clinician measured by
hand shows the measured FPPA and pelvic drop, marked, with who measured it on
which frame (the automatic value beside it); its flags, the legs' means and
ratings and the overall rating are decided again from the measured values
(:func:`knee_cv.core.rerated.rerated`).

The PDF is written with fpdf2's core Helvetica font (no font files needed),
which covers Latin-1 only: other characters are replaced (see
:func:`_latin1`), and degrees are written as "deg".
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from fpdf import FPDF, FontFace, XPos, YPos
from PIL import Image

from knee_cv import __version__
from knee_cv.core.context import SessionContext
from knee_cv.core.criteria import CANT_TELL
from knee_cv.core.rerated import rerated
from knee_cv.core.result import Analysis, Rep
from knee_cv.core.shown import Measured, likely, number, rep_label, shown
from knee_cv.core.shown import rating as shown_rating
from knee_cv.core.threshold_tables import Thresholds
from knee_cv.fileio import write_atomically
from knee_cv.store import measurements
from knee_cv.store import sessions as store

SCREENING_STATEMENT = (
    "This report is a screening aid, not a diagnosis. The angles are estimated from a single video "
    "by a pose model whose frontal-plane error against 3D motion capture is several degrees. "
    + Analysis.ACCURACY
    + " A clinician interprets them together with the history and examination. "
    "Sudden pain, swelling, locking or giving way of the knee need a clinical assessment, not exercises "
    "from a report."
)


def reference_note(thresholds: Thresholds) -> str:
    """Reference values and the smallest detectable difference, for the report's summary.

    The smallest detectable difference of 2D FPPA between days (packaged:
    Munro, Herrington and Carolan 2012, J Sport Rehabil 21:7-11, 7.5-8.9 deg)
    is the one the session was analysed with, so overrides count.
    """
    sdd = thresholds.smallest_detectable_difference.value
    return (
        "Reference 2D FPPA in the single-leg squat: women without pain 8.4 +/- 5.1 deg, women with "
        "patellofemoral pain 16.8 +/- 5.4 deg (Herrington 2014, The Knee 21:514-7); men without pain "
        "about 7 deg, men with patellofemoral pain about 15 deg (Ghulam 2021). A change under "
        f"{sdd:.0f} deg between sessions is within measurement noise (Munro 2012). No validated "
        "single-leg-squat cut-off exists for pelvic drop: its threshold is a heuristic."
    )


_REPLACEMENTS = {
    "\u00b0": " deg",
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2026": "...",
    "\u2192": "->",
    "\u2264": "<=",
    "\u2265": ">=",
    "\u2248": "~",
}


@dataclass
class ReportContext:
    """What a PDF report shows besides the analysis itself.

    Attributes
    ----------
    subject : str
        Pseudonymous subject code ("-" when unknown).
    session_id : int or None
        Id of the saved session, None for an unsaved analysis.
    recorded_at : datetime or None
        When the video was recorded.
    sex, painful_side : str or None
        Subject details, None when unknown.
    video_hash : str or None
        SHA-256 of the video file.
    key_frames : dict of int to bytes
        JPEG of the deepest frame per ``Rep.index``.
    reviews : dict of (int, str) to str
        Latest clinician decision and note per (``Rep.index``, criterion).
    measured : dict of int to Measured
        A clinician's measurement per ``Rep.index``, reported instead of the
        automatic FPPA and pelvic drop.
    given : SessionContext or None
        What the person gave with the clip (date filmed, sex, painful side,
        selfie camera), listed in the header; None leaves it out.
    """

    subject: str = "-"
    session_id: int | None = None
    recorded_at: datetime | None = None
    sex: str | None = None
    painful_side: str | None = None
    video_hash: str | None = None
    key_frames: dict[int, bytes] = field(default_factory=dict)
    reviews: dict[tuple[int, str], str] = field(default_factory=dict)
    measured: dict[int, Measured] = field(default_factory=dict)
    given: SessionContext | None = None


def context_from_store(session_id: int, *, db_url: str | None = None) -> tuple[Analysis, ReportContext]:
    """Load a saved session and everything its report shows."""
    info = store.get_session(session_id, db_url=db_url)
    subject = store.get_subject(info.subject, db_url=db_url)
    reviews = {}
    for flag in store.list_flags(session_id=session_id, db_url=db_url):
        if flag.reviews:
            latest = flag.reviews[-1]
            note = f": {latest.note}" if latest.note else ""
            reviews[(flag.rep_index, flag.criterion)] = f"{latest.decision}ed by {latest.reviewer}{note}"
    context = ReportContext(
        subject=info.subject,
        session_id=info.id,
        recorded_at=info.recorded_at,
        sex=subject.sex,
        painful_side=subject.painful_side,
        video_hash=info.video_hash,
        key_frames=store.load_key_frames(session_id, db_url=db_url),
        reviews=reviews,
        measured={i: m.measured() for i, m in measurements.standing_measurements(session_id, db_url=db_url).items()},
        given=info.context,
    )
    return store.load_analysis(session_id, db_url=db_url), context


def pdf_bytes(
    session_or_analysis: int | Analysis,
    *,
    context: ReportContext | None = None,
    db_url: str | None = None,
) -> bytes:
    """The PDF report of a saved session (by id) or of an analysis, as bytes.

    Parameters
    ----------
    session_or_analysis : int or Analysis
        A saved session's id (subject, key frames and reviews come from the
        store) or an unsaved analysis.
    context : ReportContext, optional
        Subject details and key frames for an unsaved analysis (ignored for
        a session id).
    db_url : str, optional
        Database URL for a session id (default :func:`knee_cv.store.sessions.default_db_url`).
    """
    if isinstance(session_or_analysis, Analysis):
        analysis, context = session_or_analysis, context or ReportContext()
    else:
        analysis, context = context_from_store(int(session_or_analysis), db_url=db_url)
    return bytes(_Report(analysis, context).build().output())


def write_pdf(
    session_or_analysis: int | Analysis,
    path: str | Path,
    *,
    context: ReportContext | None = None,
    db_url: str | None = None,
) -> Path:
    """Write the PDF report (see :func:`pdf_bytes`) to ``path``, whole or not at all; returns the path.

    See :func:`knee_cv.fileio.write_atomically` for how it is written and the
    :class:`~knee_cv.errors.KneeCvError` raised when it cannot be.
    """
    data = pdf_bytes(session_or_analysis, context=context, db_url=db_url)
    return write_atomically(path, lambda temporary: temporary.write_bytes(data))


def _latin1(text: str) -> str:
    """Text the PDF core fonts can show: common symbols spelled out, others as '?'."""
    for char, plain in _REPLACEMENTS.items():
        text = text.replace(char, plain)
    return text.encode("latin-1", errors="replace").decode("latin-1")


def _pct(value: float) -> str:
    """A fraction of leg length or a confidence in whole per cent ("12%"), "-" when unknown."""
    return number(value, 0, scale=100, unit="%")


def _flags_cell(rep: Rep) -> str:
    """The rep table's Flags cell: each flagged criterion, and each one this video cannot decide, said so."""
    names = [f.criterion for f in rep.flags] + [name for name in rep.undecided if name not in {f.criterion for f in rep.flags}]
    return "; ".join(name.replace("_", " ") + (f": {CANT_TELL}" if name in rep.undecided else "") for name in names) or "-"


def _date(value: datetime | None) -> str:
    return "-" if value is None else value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


_INK = (33, 37, 41)
_MUTED = (108, 117, 125)
_ACCENT = (23, 74, 122)
_HEAD_FILL = (226, 234, 243)
_FLAG_FILL = (253, 237, 236)


class _Report(FPDF):
    """A4 portrait report; header and footer on every page."""

    def __init__(self, analysis: Analysis, context: ReportContext) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.analysis = analysis
        self.context = context
        self.rated = rerated(analysis, context.measured)  # flags and ratings from what is shown
        self.set_margins(15, 18, 15)
        self.set_auto_page_break(auto=True, margin=18)
        self.set_title("Single-leg squat screening report")
        self.set_creator(f"knee_cv {__version__}")
        self.alias_nb_pages()

    # header and footer are called by fpdf2 on each page
    def header(self) -> None:
        self.set_font("Helvetica", "", 8)
        self.set_text_color(*_MUTED)
        session = "unsaved" if self.context.session_id is None else f"session {self.context.session_id}"
        self.cell(0, 5, _latin1(f"knee_cv single-leg squat screening  |  subject {self.context.subject}, {session}"), align="L")
        self.cell(0, 5, _date(self.context.recorded_at), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(*_ACCENT)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(4)
        self.set_text_color(*_INK)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font("Helvetica", "", 8)
        self.set_text_color(*_MUTED)
        self.cell(0, 5, "Screening aid, not a diagnosis.", align="L")
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")

    def build(self) -> _Report:
        self.add_page()
        self._title()
        self._details()
        self._summary()
        self._rep_table()
        self._flags()
        self._key_frames()
        self._exercises()
        self._conventions()
        self._sign_off()
        return self

    # ---------------------------------------------------------------- pieces

    def _heading(self, text: str) -> None:
        if self.get_y() > self.h - 45:
            self.add_page()
        self.ln(3)
        self.set_font("Helvetica", "B", 12)
        self.set_text_color(*_ACCENT)
        self.cell(0, 7, _latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(*_INK)
        self.set_font("Helvetica", "", 9)

    def _para(self, text: str, size: float = 9, style: str = "") -> None:
        self.set_font("Helvetica", style, size)
        self.multi_cell(0, 4.6, _latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def _table(
        self, rows: list[list[str]], widths: tuple[float, ...], align: str = "CENTER", highlight: set[int] | None = None
    ) -> None:
        headings = FontFace(emphasis="BOLD", fill_color=_HEAD_FILL)
        self.set_font("Helvetica", "", 8)
        with self.table(
            col_widths=widths,
            text_align=align,
            headings_style=headings,
            line_height=4.4,
            padding=1,
            borders_layout="HORIZONTAL_LINES",
        ) as table:
            for i, values in enumerate(rows):
                style = FontFace(fill_color=_FLAG_FILL) if highlight and i in highlight else None
                row = table.row(style=style)
                for value in values:
                    row.cell(_latin1(value))
        self.ln(1)

    def _title(self) -> None:
        self.set_font("Helvetica", "B", 18)
        self.cell(0, 10, "Single-leg squat screening report", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("Helvetica", "", 9)
        self.set_text_color(*_MUTED)
        self.cell(
            0,
            5,
            _latin1("Knee valgus (FPPA), pelvic drop, trunk lean, depth and knee wobble per repetition"),
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        self.set_text_color(*_INK)
        self.ln(2)

    def _details(self) -> None:
        c, a = self.context, self.analysis
        rows = [
            ["Subject", c.subject, "Session", "-" if c.session_id is None else str(c.session_id)],
            ["Sex", c.sex or "-", "Recorded", _date(c.recorded_at)],
            ["Painful side", c.painful_side or "-", "Video", a.source or "-"],
            ["Pose model", a.model or "-", "Video SHA-256", (c.video_hash or "-")[:16]],
            ["knee_cv", __version__, "Report made", _date(datetime.now(timezone.utc))],
        ]
        if c.given is not None:
            given = [value for pair in c.given.lines() for value in pair]
            rows[2:2] = [given[:4], given[4:]]
        self.set_font("Helvetica", "", 8.5)
        label = FontFace(emphasis="BOLD", color=_MUTED)
        with self.table(
            col_widths=(25, 60, 25, 70),
            text_align="LEFT",
            first_row_as_headings=False,
            borders_layout="NONE",
            line_height=4.6,
            padding=0.6,
        ) as table:
            for values in rows:
                row = table.row()
                for i, value in enumerate(values):
                    row.cell(_latin1(value), style=label if i % 2 == 0 else None)

    def _summary(self) -> None:
        s = self.rated.summary
        self._heading("Summary")
        rating = shown_rating(s.rating, s.rating_best, s.rating_worst).upper()
        if s.rating != self.analysis.summary.rating:  # decided again from measurements by hand
            rating += f" (automatic: {(self.analysis.summary.rating or 'not rated').upper()})"
        self.set_font("Helvetica", "B", 11)
        self.cell(0, 6, _latin1(f"Overall: {rating}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        lines = [
            f"{s.n_reps} reps analysed, {s.n_reliable} reliable. View: {s.view} "
            f"(confidence {_pct(s.view_confidence)}). Exercise: {s.exercise.replace('_', ' ')}.",
        ]
        if s.rating_reasons:
            lines.append("Why: " + "; ".join(s.rating_reasons) + ".")
        if not s.measurable:
            lines.append("This video does not support FPPA and pelvic-drop measurement.")
        lines.extend(s.messages)
        self._para("\n".join(lines))
        self.ln(1)
        rows = [
            ["Stance leg", "Reps (reliable)", "FPPA deg", "Pelvic drop deg", "Trunk lean deg", "Depth", "Knee wobble", "Rating"]
        ]
        measured = self.context.measured
        for leg in s.legs:
            rows.append(
                [
                    leg.leg,
                    f"{leg.n_reps} ({leg.n_reliable})",
                    likely(leg.fppa_deg, leg.fppa_low_deg, leg.fppa_high_deg, ""),
                    likely(leg.pelvic_drop_deg, leg.pelvic_drop_low_deg, leg.pelvic_drop_high_deg, ""),
                    number(leg.trunk_lean_deg),
                    _pct(leg.depth),
                    number(leg.knee_wobble, 3),
                    shown_rating(leg.rating, leg.rating_best, leg.rating_worst).replace("could be ", "") if leg.rating else "-",
                ]
            )
        self._table(rows, (18, 20, 30, 30, 18, 14, 16, 34))
        self.set_text_color(*_MUTED)
        counted = (
            " A rep measured by hand counts with its measured FPPA and pelvic drop, and the ratings follow them."
            if measured
            else ""
        )
        self._para(
            "Means over the reliable reps of each stance leg." + counted + " " + reference_note(self.analysis.thresholds),
            size=7.5,
        )
        self.set_text_color(*_INK)

    def _rep_table(self) -> None:
        self._heading("Repetitions")
        if not self.analysis.reps:
            self._para("No repetitions were found in this video.")
            return
        values = [shown(rep, self.context.measured.get(rep.index)) for rep in self.analysis.reps]
        flexion = any(math.isfinite(v.knee_flexion_deg) for v in values)  # only from the side
        rows = [
            [
                "Rep",
                "Leg",
                "Time s",
                "Depth",
                *(["Knee flex deg"] if flexion else []),
                "FPPA deg",
                "Knee displ. %",
                "Pelvic drop deg",
                "Trunk lean deg",
                "Wobble",
                "Reliable",
                "Flags",
            ]
        ]
        flagged = set()
        for i, (rep, v, rated) in enumerate(zip(self.analysis.reps, values, self.rated.reps), start=1):
            if rated.flags:
                flagged.add(i)
            mark = "*" if rep.index in self.context.measured else ""
            rows.append(
                [
                    str(v.number),
                    rep.leg,
                    f"{rep.t_start:.1f}-{rep.t_end:.1f}",
                    _pct(v.depth),
                    *([number(v.knee_flexion_deg)] if flexion else []),
                    likely(v.fppa_deg, v.fppa_low_deg, v.fppa_high_deg, "") + mark,
                    likely(v.knee_displacement, v.knee_displacement_low, v.knee_displacement_high, "", 100),
                    likely(v.pelvic_drop_deg, v.pelvic_drop_low_deg, v.pelvic_drop_high_deg, "") + mark,
                    number(v.trunk_lean_deg),
                    number(v.knee_wobble, 3),
                    "yes" if rep.reliable else "no",
                    _flags_cell(rated),
                ]
            )
        widths = (8, 10, 15, 10, 13, 23, 20, 22, 13, 12, 13, 31) if flexion else (8, 11, 15, 11, 24, 20, 23, 13, 14, 14, 37)
        self._table(rows, widths, highlight=flagged)
        self.set_text_color(*_MUTED)
        self._para(
            "Values at the deepest frame of each rep. " + Analysis.INTERVALS + " A criterion whose range "
            f"holds its threshold is marked '{CANT_TELL}'. Flagged reps are shaded. Unreliable reps are "
            "left out of the means and their angles are not shown: " + self._unreliable_text() + self._measured_text(),
            size=7.5,
        )
        self.set_text_color(*_INK)

    def _measured_text(self) -> str:
        """The note naming each measured rep's source and automatic values, " * Measured by hand: ..." ("" when none)."""
        parts = [
            f"rep {rep.index + 1}: FPPA {number(m.fppa_deg)} deg, pelvic drop {number(m.pelvic_drop_deg)} deg, "
            f"{m.source} (automatic: FPPA {number(rep.fppa_bottom_deg)} deg, pelvic drop "
            f"{number(rep.pelvic_drop_bottom_deg)} deg)"
            for rep in self.analysis.reps
            if (m := self.context.measured.get(rep.index)) is not None
        ]
        return (" * Measured by hand: " + "; ".join(parts) + ".") if parts else ""

    def _unreliable_text(self) -> str:
        parts = [
            f"rep {rep.index + 1}: {'; '.join(rep.unreliable_reasons) or 'low confidence'}"
            for rep in self.analysis.reps
            if not rep.reliable
        ]
        return ("; ".join(parts) + ".") if parts else "none."

    def _flags(self) -> None:
        """The findings on the reported values, then the automatic findings a measurement no longer raises.

        A measured rep's findings are decided again (marked *); an automatic
        one a measurement by hand does not raise is kept, marked +, with its
        latest review.
        """
        flagged = [
            (rep, flag, "*" if rep.index in self.context.measured else "") for rep in self.rated.reps for flag in rep.flags
        ]
        withdrawn = [
            (rep, flag, "+")
            for rep, rated in zip(self.analysis.reps, self.rated.reps)
            if rep.index in self.context.measured
            for flag in rep.flags
            if flag.criterion not in {f.criterion for f in rated.flags}
        ]
        self._heading("Findings and clinician review")
        if not flagged + withdrawn:
            self._para("No rep crossed a threshold.")
            return
        rows = [["Rep", "Finding", "Value", "Threshold", "Source", "Clinician review"]]
        for rep, flag, mark in flagged + withdrawn:
            unit = " deg" if flag.unit == "deg" else ""
            digits = 1 if flag.unit == "deg" else 3
            rows.append(
                [
                    f"{rep.index + 1} ({rep.leg}){mark}",
                    flag.reason,
                    number(flag.value, digits) + unit,
                    number(flag.threshold, digits) + unit,
                    flag.source,
                    self.context.reviews.get((rep.index, flag.criterion), "not reviewed"),
                ]
            )
        self._table(rows, (16, 58, 17, 17, 30, 42), align="LEFT")
        notes = [
            note
            for marks, note in (
                ("*", "* Found on the values measured by hand (see Repetitions), with the same thresholds."),
                ("+", "+ Found on the automatic value, not raised on the value measured by hand."),
            )
            if any(mark == marks for _, _, mark in flagged + withdrawn)
        ]
        if notes:
            self.set_text_color(*_MUTED)
            self._para(" ".join(notes), size=7.5)
            self.set_text_color(*_INK)

    def _key_frames(self) -> None:
        frames = [(rep, self.context.key_frames[rep.index]) for rep in self.analysis.reps if rep.index in self.context.key_frames]
        if not frames:
            return
        box_w, box_h, gap, per_row, caption_h = 42.0, 58.0, 4.0, 4, 9.0
        if self.get_y() > self.h - self.b_margin - box_h - caption_h - 15:  # heading stays with the frames
            self.add_page()
        self._heading("Deepest frame of each rep")
        top = self.get_y()
        for i, (rep, jpeg) in enumerate(frames):
            column = i % per_row
            if column == 0:
                if i:
                    self.set_y(top + box_h + caption_h + 3)
                if self.get_y() > self.h - self.b_margin - box_h - caption_h:
                    self.add_page()
                top = self.get_y()
            x = self.l_margin + column * (box_w + gap)
            width, height = Image.open(io.BytesIO(jpeg)).size
            scale = min(box_w / width, box_h / height)
            self.image(io.BytesIO(jpeg), x=x + (box_w - width * scale) / 2, y=top, w=width * scale, h=height * scale)
            self.set_xy(x, top + box_h + 1)
            self.set_font("Helvetica", "", 7.5)
            v = shown(rep, self.context.measured.get(rep.index))
            if v.source:
                measured = " (measured by hand)" if rep.index in self.context.measured else ""
                caption = (
                    f"{rep_label(rep)}: FPPA {likely(v.fppa_deg, v.fppa_low_deg, v.fppa_high_deg)}, "
                    f"pelvic drop {likely(v.pelvic_drop_deg, v.pelvic_drop_low_deg, v.pelvic_drop_high_deg)}"
                    f"{measured}"
                )
            else:
                caption = f"{rep_label(rep)}: unreliable, angles not shown"
            self.multi_cell(box_w, 3.5, _latin1(caption), align="C")
        self.set_y(top + box_h + caption_h + 3)

    def _exercises(self) -> None:
        self._heading("Recommended exercises")
        if not self.analysis.recommendations:
            self._para("No exercise is suggested from these findings.")
            return
        for rec in self.analysis.recommendations:
            self._para(f"{rec.name}  ({rec.dosage})", style="B")
            self._para(f"{rec.how} Why: {rec.why}")
            self.ln(1)

    def _conventions(self) -> None:
        self._heading("Sign conventions and method")
        self._para(Analysis.CONVENTIONS)
        self._para(
            "Angles are measured in the 2D image at the deepest frame of each rep. A rep is flagged "
            "when a value crosses its threshold:"
        )
        rows = [["Criterion", "Threshold", "Source"]]
        for name, entry in self.analysis.thresholds.as_dict().items():
            if "value" in entry:
                unit = " deg" if entry["unit"] == "deg" else " of leg length"
                rows.append([name.replace("_", " "), f"{entry['value']}{unit}", str(entry["source"])])
        if len(rows) > 1:
            self._table(rows, (38, 30, 112), align="LEFT")

    def _sign_off(self) -> None:
        self._heading("Important")
        self._para(SCREENING_STATEMENT)
        if self.analysis.safety_note:
            self._para(self.analysis.safety_note)
        self.ln(8)
        self.set_font("Helvetica", "", 9)
        self.cell(90, 6, "Reviewed by: ______________________________")
        self.cell(0, 6, "Date: ____________________", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
