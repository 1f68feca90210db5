"""The review page's prescription editor: a session's home exercise plan as the clinician sets it.

:func:`prescription_editor` starts from the plan in force (the session's
newest prescription, else the newest of the subject's earlier sessions,
else the plan computed from the session's findings,
:func:`knee_cv.core.plan.plan_for`). The clinician adds, removes and
reorders exercises and changes each one's days a week, dose per two-week
block and note; "Save prescription" appends it with their name
(:func:`knee_cv.store.prescriptions.save_prescription`). The home exercise
sheet is made from the saved prescription, with who prescribed it and when.
The unsaved draft lives in the browser session, one per session and saved
prescription.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from knee_cv.app.markdown import escaped, file_stem, literal
from knee_cv.core.exercises import load_catalog
from knee_cv.core.plan import LIMITS, catalog_item, plan_for, plan_items
from knee_cv.core.result import Analysis
from knee_cv.errors import StoreError
from knee_cv.report.exercise_sheet import sheet_pdf
from knee_cv.store import prescriptions
from knee_cv.store.prescriptions import MAX_NOTE, PrescriptionInfo

#: The sheet's download button.
SHEET_LABEL = "Download home exercise sheet"


def _names() -> dict[str, str]:
    """Every catalog exercise's name, by key."""
    return {key: entry["name"] for key, entry in load_catalog()["exercises"].items()}


def _move(draft_key: str, index: int, step: int) -> None:
    """Swap the draft's exercise ``index`` with its neighbour ``step`` away (-1 up, +1 down)."""
    items = list(st.session_state[draft_key])
    items[index], items[index + step] = items[index + step], items[index]
    st.session_state[draft_key] = items


def _remove(draft_key: str, index: int) -> None:
    st.session_state[draft_key] = [item for i, item in enumerate(st.session_state[draft_key]) if i != index]


def _add(draft_key: str) -> None:
    """Append the exercise chosen in the add box, with the catalog's dose."""
    key = st.session_state[f"{draft_key}-add"]
    if key is not None:
        st.session_state[draft_key] = [*st.session_state[draft_key], catalog_item(key)]
        st.session_state[f"{draft_key}-add"] = None


def _number(container: Any, label: str, what: str, value: int, key: str) -> int:
    low, high = LIMITS[what]
    return int(container.number_input(label, min_value=low, max_value=high, value=int(value), step=1, key=key))


def _dose(container: Any, dose: dict[str, Any], key: str) -> dict[str, Any]:
    """One block's sets and reps (or hold in seconds), as edited."""
    sets = _number(container, f"{dose['weeks']}: sets", "sets", dose["sets"], f"{key}-sets")
    if dose["hold_s"] is not None:
        return dose | {"sets": sets, "hold_s": _number(container, "hold (s)", "hold_s", dose["hold_s"], f"{key}-hold")}
    return dose | {"sets": sets, "reps": _number(container, "reps", "reps", dose["reps"], f"{key}-reps")}


def _exercise(draft_key: str, index: int, item: dict[str, Any], count: int) -> dict[str, Any]:
    """One exercise of the draft: its name, move and remove buttons, days, doses and note; the item as edited."""
    key = f"{draft_key}-{item['key']}"
    with st.container(border=True):
        head, up, down, drop = st.columns([7, 1, 1, 1], vertical_alignment="center")
        head.markdown(f"**{index + 1}. {_names()[item['key']]}**")
        up.button(
            ":material/arrow_upward:",
            key=f"{key}-up",
            help="Move up",
            disabled=index == 0,
            on_click=_move,
            args=(draft_key, index, -1),
        )
        down.button(
            ":material/arrow_downward:",
            key=f"{key}-down",
            help="Move down",
            disabled=index == count - 1,
            on_click=_move,
            args=(draft_key, index, 1),
        )
        drop.button(
            ":material/close:", key=f"{key}-remove", help="Remove from the plan", on_click=_remove, args=(draft_key, index)
        )
        columns = st.columns(1 + len(item["doses"]))
        days = _number(columns[0], "Days a week", "days_per_week", item["days_per_week"], f"{key}-days")
        doses = [_dose(column, dose, f"{key}-{block}") for block, (column, dose) in enumerate(zip(columns[1:], item["doses"]))]
        note = st.text_input("Note for the patient", value=item["note"], max_chars=MAX_NOTE, key=f"{key}-note")
    return item | {"days_per_week": days, "doses": doses, "note": note}


def _state(latest: PrescriptionInfo | None, session_id: int) -> str:
    """Where the plan shown comes from, in a sentence."""
    if latest is None:
        return "Computed from this session's findings; not prescribed yet."
    when = f"{latest.created_at:%Y-%m-%d %H:%M} UTC"
    if latest.session_id == session_id:
        return f"Prescribed by {literal(latest.prescribed_by)} on {when}."
    return (
        f"Starts from the plan prescribed by {literal(latest.prescribed_by)} on {when} (session "
        f"{latest.session_id}); save it to prescribe it on this session."
    )


def _save(session_id: int, items: list[dict[str, Any]], reviewer: str, db_url: str) -> None:
    if not reviewer:
        st.error("Enter your name in the sidebar first: it is recorded with the prescription.")
        return
    try:
        prescriptions.save_prescription(session_id, items, prescribed_by=reviewer, db_url=db_url)
    except StoreError as error:
        st.error(escaped(str(error)), icon=":material/block:")
        return
    st.toast("Prescription saved.")
    st.rerun()


def _sheet_button(code: str, session_id: int, analysis: Analysis, latest: PrescriptionInfo | None) -> None:
    """The sheet of the saved prescription (else of the computed plan), made when clicked."""
    plan = latest.plan() if latest else plan_for(analysis)
    by, on = (latest.prescribed_by, latest.created_at) if latest else (None, None)
    st.download_button(
        SHEET_LABEL,
        key=f"rx-sheet-{session_id}",
        mime="application/pdf",
        on_click="ignore",
        data=lambda: sheet_pdf(plan, subject=code, prescribed_by=by, prescribed_on=on, source=analysis.source or None),
        file_name=f"{file_stem(code)}_session_{session_id}_home_exercises.pdf",
        icon=":material/print:",
    )


def _log(session_id: int, db_url: str) -> None:
    """Every prescription saved on the session, newest first: who, when, which exercises."""
    saved = prescriptions.list_prescriptions(session_id, db_url=db_url)
    if not saved:
        return
    names = _names()
    with st.expander(f"Prescriptions saved on this session ({len(saved)})"):
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "when": f"{p.created_at:%Y-%m-%d %H:%M} UTC",
                        "by": p.prescribed_by,
                        "exercises": "; ".join(names.get(i["key"], i["key"]) for i in p.items),
                    }
                    for p in reversed(saved)
                ]
            ),
            hide_index=True,
            width="stretch",
        )


def prescription_editor(code: str, session_id: int, analysis: Analysis, reviewer: str, db_url: str) -> None:
    """The home exercise plan of a session's patient: edit, save with the clinician's name, print.

    Parameters
    ----------
    code : str
        The subject's code (printed in the sheet's header).
    session_id : int
        The session shown; a saved prescription is kept with it.
    analysis : Analysis
        The session's analysis, whose findings make the plan when none was
        prescribed.
    reviewer : str
        The logged-in clinician ("" while no name is given: saving is then
        refused).
    db_url : str
        The store.
    """
    st.markdown("#### Home exercise plan")
    latest = prescriptions.latest_prescription(session_id=session_id, db_url=db_url)
    st.caption(_state(latest, session_id))
    draft_key = f"rx-{session_id}-{latest.id if latest else 0}"
    if draft_key not in st.session_state:
        st.session_state[draft_key] = list(latest.items) if latest else plan_items(plan_for(analysis))
    draft = st.session_state[draft_key]
    edited = [_exercise(draft_key, i, item, len(draft)) for i, item in enumerate(draft)]
    names = _names()
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    left.selectbox(
        "Add an exercise",
        [k for k in names if k not in {item["key"] for item in draft}],
        format_func=lambda key: names[key],
        index=None,
        placeholder="choose from the catalog",
        key=f"{draft_key}-add",
    )
    right.button("Add", key=f"{draft_key}-add-button", on_click=_add, args=(draft_key,))
    if st.button("Save prescription", type="primary", key=f"{draft_key}-save"):
        _save(session_id, edited, reviewer, db_url)
    _sheet_button(code, session_id, analysis, latest)
    _log(session_id, db_url)
