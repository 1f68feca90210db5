"""The home exercise sheet: a one- or two-page PDF of a :class:`~knee_cv.core.plan.Plan` to print and tick off.

The safety note comes first, in a shaded box, with the rule on how much
discomfort is fine; then when to do what and when to move on; then each
exercise with its picture (:mod:`knee_cv.media.exercise_figures`), three
steps, what to feel, what to avoid, when to stop, and one line per two-week
block with its dose and a tick box for every day it is due. Exercises
suggested beyond the plan are named at the end. Who prescribed it and when
are printed when known, and left as lines to fill in otherwise.

Style follows :mod:`knee_cv.report.pdf` (A4, Helvetica, the same colours);
Helvetica covers Latin-1 only, so other characters print as "?".
"""

from __future__ import annotations

import io
from datetime import datetime, timezone
from typing import cast

from fpdf import FPDF, XPos, YPos

from knee_cv import __version__
from knee_cv.core.plan import Dose, Plan, PlannedExercise
from knee_cv.media.exercise_figures import PANEL, figure_png

_INK = (33, 37, 41)
_MUTED = (108, 117, 125)
_ACCENT = (23, 74, 122)
_SAFETY_FILL = (253, 237, 236)
_SAFETY_EDGE = (200, 80, 70)

_PICTURE_W = 80.0  # mm
_PICTURE_H = _PICTURE_W * PANEL[1] / (2 * PANEL[0] + 2)
_BOX = 3.3  # tick box side, mm
_LINE = 4.6  # a dose line's height, mm


def _text(value: str) -> str:
    """``value`` as the PDF core fonts can show it."""
    return value.encode("latin-1", errors="replace").decode("latin-1")


class _Sheet(FPDF):
    """A4 portrait; header and footer on every page."""

    def __init__(self, subject: str | None, made: datetime) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.patient, self.made = subject, made  # not self.subject: FPDF's own, the PDF's Subject metadata
        self.set_margins(14, 14, 14)
        self.set_auto_page_break(auto=True, margin=14)
        self.set_title("Home exercise sheet")
        self.set_creator(f"knee_cv {__version__}")
        self.alias_nb_pages()

    def header(self) -> None:
        self.set_font("Helvetica", "", 8)
        self.set_text_color(*_MUTED)
        who = f"  |  {self.patient}" if self.patient else ""
        self.cell(0, 5, _text(f"knee_cv home exercise sheet{who}"), align="L")
        self.cell(0, 5, self.made.strftime("%Y-%m-%d"), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(*_ACCENT)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.set_draw_color(*_INK)
        self.ln(2.5)
        self.set_text_color(*_INK)

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font("Helvetica", "", 7.5)
        self.set_text_color(*_MUTED)
        self.cell(
            0, 5, "A screening aid, not a diagnosis. Sudden pain, swelling, locking or giving way: see a clinician.", align="L"
        )
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")

    def para(
        self, text: str, size: float = 8.5, style: str = "", height: float = 3.9, width: float = 0, markdown: bool = False
    ) -> None:
        """``text`` wrapped from the current x over ``width`` mm (0: to the right margin); x stays where it was."""
        self.set_font("Helvetica", style, size)
        self.multi_cell(width, height, _text(text), markdown=markdown, new_x=XPos.LEFT, new_y=YPos.NEXT)


def _opening(pdf: _Sheet, plan: Plan, prescribed_by: str | None, prescribed_on: datetime | None, source: str | None) -> None:
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 8, "Your home exercises", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*_MUTED)
    made_from = f" from the single-leg squat video {source}" if source else ""
    pdf.para(f"Made by knee_cv on {pdf.made.strftime('%Y-%m-%d')}{made_from}, from what the video showed.")
    pdf.set_text_color(*_INK)
    pdf.set_font("Helvetica", "", 9)
    if prescribed_by:
        when = f" on {prescribed_on.strftime('%Y-%m-%d')}" if prescribed_on else ""
        pdf.cell(0, 6, _text(f"Prescribed by {prescribed_by}{when}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    else:
        pdf.cell(
            0,
            7,
            "Checked by your physiotherapist: ______________________________    Date: ______________",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    pdf.ln(1)
    # The safety gate first, in a box that stands out.
    top = pdf.get_y()
    pdf.set_xy(pdf.l_margin + 3, top + 2)
    width = pdf.epw - 6
    pdf.para("Read this first", size=10, style="B", height=5, width=width)
    pdf.para(plan.safety_note, width=width)
    pdf.set_y(pdf.get_y() + 0.8)
    pdf.set_x(pdf.l_margin + 3)
    pdf.para(plan.pain, width=width)
    bottom = pdf.get_y() + 2
    pdf.set_draw_color(*_SAFETY_EDGE)
    pdf.set_line_width(0.5)
    pdf.rect(pdf.l_margin, top, pdf.epw, bottom - top)
    pdf.set_line_width(0.2)
    pdf.set_draw_color(*_INK)
    pdf.set_xy(pdf.l_margin, bottom + 2.5)
    if plan.exercises:
        pdf.para(
            f"**How it works:** {plan.weeks} weeks, in {len(plan.blocks)} blocks of two. {plan.schedule} "
            f"{plan.progress} Tick a box each day you do an exercise.",
            markdown=True,
        )
        pdf.ln(1.5)


def _heading(pdf: _Sheet, number: int, exercise: PlannedExercise) -> None:
    pdf.set_font("Helvetica", "B", 11)
    pdf.set_text_color(*_ACCENT)
    pdf.cell(pdf.get_string_width(_text(f"{number}. {exercise.name}")) + 2, 6, _text(f"{number}. {exercise.name}"))
    days = "every day" if exercise.days_per_week == 7 else f"{exercise.days_per_week} days a week"
    answers = f"  |  for: {', '.join(exercise.findings)}" if exercise.findings else ""
    pdf.set_font("Helvetica", "", 8.5)
    pdf.set_text_color(*_MUTED)
    pdf.cell(0, 6, _text(f"  {days}{answers}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*_INK)


def _doses(pdf: _Sheet, doses: tuple[Dose, ...], days: int) -> None:
    """One line per block: its weeks, its dose, and a tick box per day due in each of its two weeks."""
    for block, dose in enumerate(doses):
        y = pdf.get_y()
        pdf.set_font("Helvetica", "B", 8)
        pdf.cell(17, _LINE, _text(dose.weeks))
        pdf.set_font("Helvetica", "", 8)
        pdf.cell(74, _LINE, _text(dose.text()))
        x = pdf.get_x()
        pdf.set_text_color(*_MUTED)
        for week in (2 * block + 1, 2 * block + 2):
            pdf.set_xy(x, y)
            pdf.cell(8.5, _LINE, f"wk {week}")
            x += 8.5
            for _ in range(days):
                pdf.rect(x, y + (_LINE - _BOX) / 2, _BOX, _BOX)
                x += _BOX + 0.8
            x += 3
        pdf.set_text_color(*_INK)
        pdf.set_xy(pdf.l_margin, y + _LINE)


def _note(exercise: PlannedExercise) -> str:
    """The clinician's note on an exercise, as the sheet prints it."""
    return f"Note from your physiotherapist: {exercise.note}"


def _exercise(pdf: _Sheet, number: int, exercise: PlannedExercise) -> None:
    if pdf.get_y() + _height_guess(pdf, exercise) > pdf.h - pdf.b_margin:
        pdf.add_page()
    _heading(pdf, number, exercise)
    top = pdf.get_y()
    pdf.image(io.BytesIO(figure_png(exercise.key)), x=pdf.l_margin, y=top, w=_PICTURE_W, h=_PICTURE_H)
    pdf.set_draw_color(205, 205, 205)
    pdf.rect(pdf.l_margin, top, _PICTURE_W, _PICTURE_H)
    pdf.set_draw_color(*_INK)
    pdf.set_xy(pdf.l_margin, top + _PICTURE_H + 1)
    pdf.set_text_color(*_MUTED)
    pdf.para(f"To make it harder: {exercise.progress}", size=7.3, height=3.2, width=_PICTURE_W)
    pdf.set_text_color(*_INK)
    left_bottom = pdf.get_y()
    left = pdf.l_margin + _PICTURE_W + 4
    width = pdf.w - pdf.r_margin - left
    pdf.set_xy(left, top)
    for i, step in enumerate(exercise.steps, start=1):
        pdf.para(f"{i}. {step}", size=8.3, height=3.7, width=width)
    pdf.set_xy(left, pdf.get_y() + 0.8)
    for label, text in (("Feel:", exercise.feel), ("Avoid:", exercise.avoid), ("Stop:", exercise.stop)):
        pdf.para(f"**{label}** {text}", size=8, height=3.6, width=width, markdown=True)
    if exercise.note:  # typed text: no markdown, so it prints as typed
        pdf.para(_note(exercise), size=8, style="I", height=3.6, width=width)
    pdf.set_xy(pdf.l_margin, max(pdf.get_y(), left_bottom) + 1.2)
    _doses(pdf, exercise.doses, exercise.days_per_week)
    pdf.ln(3)


def _height_guess(pdf: _Sheet, exercise: PlannedExercise) -> float:
    """Room an exercise needs on the page, mm: heading, picture or text (measured), three dose lines."""
    width = pdf.epw - _PICTURE_W - 4
    lines = 0
    texts: list[tuple[float, str]] = [(8.3, f"1. {s}") for s in exercise.steps]
    texts += [(8.0, f"Avoid: {t}") for t in (exercise.feel, exercise.avoid, exercise.stop)]
    texts += [(8.0, _note(exercise))] if exercise.note else []
    for size, text in texts:
        pdf.set_font("Helvetica", "", size)
        wrapped = cast(list[str], pdf.multi_cell(width, 3.7, _text(text), dry_run=True, output="LINES"))
        lines += len(wrapped)
    return 6 + max(_PICTURE_H + 8, 3.7 * lines + 1) + 1.2 + _LINE * len(exercise.doses) + 3


def sheet_pdf(
    plan: Plan,
    *,
    subject: str | None = None,
    prescribed_by: str | None = None,
    prescribed_on: datetime | None = None,
    source: str | None = None,
    made: datetime | None = None,
) -> bytes:
    """The home exercise sheet of ``plan``, as PDF bytes.

    Parameters
    ----------
    plan : Plan
        From :func:`knee_cv.core.plan.plan_for`.
    subject : str, optional
        The patient's code, in the header.
    prescribed_by : str, optional
        The clinician who prescribed the plan; without one the sheet has a
        line for a physiotherapist to sign.
    prescribed_on : datetime, optional
        When it was prescribed.
    source : str, optional
        The video the findings came from.
    made : datetime, optional
        When the sheet was made (default now, UTC).
    """
    pdf = _Sheet(subject, made or datetime.now(timezone.utc))
    pdf.add_page()
    _opening(pdf, plan, prescribed_by, prescribed_on, source)
    if not plan.exercises:
        pdf.para("No finding in this video calls for a specific exercise.", size=10)
    for number, exercise in enumerate(plan.exercises, start=1):
        _exercise(pdf, number, exercise)
    if plan.also:
        pdf.set_text_color(*_MUTED)
        names = "; ".join(f"{rec.name} ({rec.dosage.rstrip('.')})" for rec in plan.also)
        pdf.para(f"Also suggested by the findings, if your physiotherapist wants to swap one in: {names}.", size=8)
        pdf.set_text_color(*_INK)
    return bytes(pdf.output())
