"""The runner's answer at the top of the results: a plain verdict per leg and what to do next.

:func:`verdict_section` draws :func:`knee_cv.core.verdict.verdict` for one
analysis: a headline, one card per leg (what was seen, how many reps it rests
on), left against right when there are enough reps, which knee cut-off was
used, and the next step (exercises with their first dose, or general advice)
with the safety gate. No numbers, thresholds or citations: those are in the
"Details for your physio" section (:mod:`knee_cv.app.results`).
"""

from __future__ import annotations

import streamlit as st

from knee_cv.core.context import SessionContext
from knee_cv.core.result import Analysis
from knee_cv.core.verdict import LegVerdict, verdict

#: The section's heading.
HEADING = "Your result"


def _leg_card(leg: LegVerdict) -> None:
    """One leg: a flag or a tick by its title, the sentences, and how sure."""
    icon = (
        ":red[:material/flag:]" if leg.flagged else (":material/check_circle:" if leg.measured else ":material/help:")
    )  # red for flags only (knee_cv.palette)
    with st.container(border=True):
        st.markdown(f"#### {icon} {leg.title}")
        if leg.seen:
            st.markdown("\n".join(f"- {line}" for line in leg.seen))
        st.caption(leg.sureness)


def verdict_section(analysis: Analysis, context: SessionContext) -> None:
    """The plain verdict of ``analysis`` for the person who gave ``context``."""
    result = verdict(analysis, sex=context.sex, painful_side=context.painful_side)
    st.header(HEADING)
    st.markdown(f"**{result.headline}**")
    legs = list(result.legs)
    for start in range(0, len(legs), 2):
        for column, leg in zip(st.columns(2), legs[start : start + 2]):
            with column:
                _leg_card(leg)
    if result.comparison:
        st.markdown(f"**Left and right:** {result.comparison}")
    notes = [result.screen_note] + ([result.cutoff_note] if result.cutoff_note else [])
    st.caption(" ".join(notes))
    step = result.next_step
    st.subheader("What to do next")
    st.markdown(step.lead + "\n" + "\n".join(f"- {item}" for item in step.exercises))
    st.warning(f"**When to see a physiotherapist:** {step.see_physio}", icon=":material/medical_services:")
