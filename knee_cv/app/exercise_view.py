"""The results page's exercises section: the safety note, then the home plan with a picture of each exercise.

:func:`exercises_section` draws, for one :class:`~knee_cv.core.result.Analysis`,
the safety note first; then, when the findings suggest exercises, the
six-week plan (:func:`knee_cv.core.plan.plan_for`): each exercise's picture
(:func:`knee_cv.media.exercise_figures.figure_png`), three steps, what to
feel, what to avoid, when to stop, why it is suggested and its dose for
each two-week block; and a button for the printable home exercise sheet
(:func:`knee_cv.report.exercise_sheet.sheet_pdf`), made only when clicked.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from knee_cv.app.markdown import file_stem
from knee_cv.core.plan import Plan, PlannedExercise, plan_for
from knee_cv.core.result import Analysis
from knee_cv.media.exercise_figures import figure_png
from knee_cv.report.exercise_sheet import sheet_pdf

#: The download button's label.
SHEET_LABEL = "Home exercise sheet (PDF)"

PICTURE_CAPTION = "1 start, 2 end: the orange part moves, the dark arrow shows which way."


def _days(exercise: PlannedExercise) -> str:
    return "every day" if exercise.days_per_week == 7 else f"{exercise.days_per_week} days a week"


def _exercise(number: int, exercise: PlannedExercise) -> None:
    with st.container(border=True):
        answers = f" · for: {', '.join(exercise.findings)}" if exercise.findings else ""
        st.markdown(f"**{number}. {exercise.name}** · {_days(exercise)}{answers}")
        picture, steps = st.columns([3, 2])
        picture.image(
            figure_png(exercise.key),
            caption=PICTURE_CAPTION,
            width="stretch",
            output_format="PNG",
            alt=f"Drawing of {exercise.name.lower()}: the start position on the left, the end on the right",
        )
        steps.markdown("\n".join(f"{i}. {step}" for i, step in enumerate(exercise.steps, start=1)))
        steps.markdown(f"**Feel:** {exercise.feel}  \n**Avoid:** {exercise.avoid}  \n**Stop:** {exercise.stop}")
        st.markdown(f"*Why:* {exercise.why}")
        rows = "\n".join(f"| {dose.weeks} | {dose.text()} |" for dose in exercise.doses)
        st.markdown(f"| Weeks | Dose |\n| --- | --- |\n{rows}")
        st.caption(f"To make it harder: {exercise.progress}")


def _sheet_button(plan: Plan, analysis: Analysis) -> None:
    stem = file_stem(Path(analysis.source or "knee_cv").stem)
    st.download_button(
        SHEET_LABEL,
        data=lambda: sheet_pdf(plan, source=analysis.source or None),
        file_name=f"{stem}_home_exercises.pdf",
        mime="application/pdf",
        on_click="ignore",
        icon=":material/print:",
    )


def exercises_section(analysis: Analysis) -> None:
    """The exercises for ``analysis``' findings, the safety note first, and the printable sheet."""
    st.subheader("Exercises")
    plan = plan_for(analysis)
    st.warning(analysis.safety_note or plan.safety_note, icon=":material/warning:")
    if not plan.exercises and not plan.also:
        st.write("No finding calls for a specific exercise in this video.")
        return
    st.markdown(
        f"**A {plan.weeks}-week home plan** from what the video showed, in blocks of two weeks.\n"
        f"- {plan.schedule}\n- {plan.progress}\n- {plan.pain}"
    )
    for number, exercise in enumerate(plan.exercises, start=1):
        _exercise(number, exercise)
    if plan.also:
        names = "; ".join(f"{rec.name} ({rec.dosage.rstrip('.')})" for rec in plan.also)
        st.caption(f"Also suggested by the findings, for a physiotherapist to swap in: {names}.")
    if plan.exercises:
        _sheet_button(plan, analysis)
