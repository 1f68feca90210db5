"""The guided live self-test as a state machine: framing, countdown, standing, N reps a leg, switch, done.

A :class:`Protocol` is fed the time, the frame's :class:`~knee_cv.core.framing.Framing`,
whether both feet are planted and the reps the live analysis has found so
far (:func:`knee_cv.core.analysis.analyze` on the growing track, the same
analysis as the final result), and says what to show: the step, a prompt, the
reps counted per leg, the last rep's cue and what to announce aloud. It holds
no pixels and no Streamlit; the live session draws what it says.

Steps, in order (:class:`Step`):

1. ``framing``: until the framing has held for ``framing_hold_s``;
2. ``countdown``: ``countdown_s`` seconds (back to framing if it is lost);
3. ``standing``: both feet planted for ``standing_s`` (the pelvis-level and
   size reference of the analysis);
4. ``left``: reps on the left leg whose deepest point comes after the step
   began, until ``reps_per_leg``;
5. ``switch``: ``switch_s`` seconds to change legs;
6. ``right``: the same on the right leg;
7. ``done``.

Examples
--------
>>> from knee_cv.core.framing import Framing
>>> from knee_cv.core.thresholds import load_thresholds
>>> protocol = Protocol(ProtocolSettings.from_thresholds(load_thresholds(), reps_per_leg=2))
>>> protocol.update(0.0, Framing(True, ""), both_feet=True, reps=[])
>>> protocol.step
<Step.FRAMING: 'framing'>
>>> protocol.update(1.5, Framing(True, ""), both_feet=True, reps=[])
>>> protocol.step
<Step.COUNTDOWN: 'countdown'>
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum

from knee_cv.core.assessment import rerate
from knee_cv.core.exercises import recommend_for
from knee_cv.core.framing import Framing
from knee_cv.core.labels import SIDES, Leg
from knee_cv.core.result import Analysis, Rep
from knee_cv.core.threshold_tables import Thresholds


class Step(str, Enum):
    """A step of the guided protocol, in order."""

    FRAMING = "framing"
    COUNTDOWN = "countdown"
    STANDING = "standing"
    LEFT = "left"
    SWITCH = "switch"
    RIGHT = "right"
    DONE = "done"

    def __str__(self) -> str:
        return self.value


#: The leg each squatting step counts.
SQUAT_STEPS = {Step.LEFT: Leg.LEFT, Step.RIGHT: Leg.RIGHT}


class Cue(str, Enum):
    """The word shown after a rep, from the rep's flags (knee first, then pelvis)."""

    FINE = "fine"
    KNEE_INWARD = "knee moved inward"
    HIP_DROPPED = "hip dropped"
    NOT_MEASURED = "not measured"

    def __str__(self) -> str:
        return self.value


def rep_cue(rep: Rep) -> Cue:
    """The cue of one rep: its knee-valgus flag, else its pelvic-drop flag, else fine.

    An unreliable rep carries no flags (:mod:`knee_cv.core.assessment`), so
    it gets :attr:`Cue.NOT_MEASURED` rather than a "fine" it has not earned.
    """
    if not rep.reliable:
        return Cue.NOT_MEASURED
    found = {str(flag.criterion) for flag in rep.flags}  # a CriterionName or its text
    if "knee_valgus" in found:
        return Cue.KNEE_INWARD
    if "pelvic_drop" in found:
        return Cue.HIP_DROPPED
    return Cue.FINE


@dataclass(frozen=True)
class ProtocolSettings:
    """The protocol's timings and reps (the ``[protocol]`` table of the thresholds).

    Attributes
    ----------
    reps_per_leg : int
        Squats asked on each leg.
    framing_hold_s, countdown_s, standing_s, switch_s : float
        Seconds the framing must hold, of the countdown, of standing on both
        feet, and of the switch prompt.
    cue_s : float
        Seconds a rep's cue stays shown.
    settle_s : float
        A rep is counted once the analysis has seen this many seconds after its end.
    """

    reps_per_leg: int
    framing_hold_s: float
    countdown_s: float
    standing_s: float
    switch_s: float
    cue_s: float
    settle_s: float

    @classmethod
    def from_thresholds(cls, thresholds: Thresholds, reps_per_leg: int | None = None) -> ProtocolSettings:
        """The settings in the ``[protocol]`` table of ``thresholds``; ``reps_per_leg`` overrides its default."""
        table = thresholds.protocol
        return cls(
            reps_per_leg=int(reps_per_leg if reps_per_leg is not None else table.reps_per_leg),
            framing_hold_s=float(table.framing_hold_s),
            countdown_s=float(table.countdown_s),
            standing_s=float(table.standing_s),
            switch_s=float(table.switch_s),
            cue_s=float(table.cue_s),
            settle_s=float(table.settle_s),
        )


@dataclass(frozen=True)
class RepCue:
    """The cue of the latest rep counted.

    Attributes
    ----------
    leg : Leg
    number : int
        The rep's number on its leg, from 1.
    cue : Cue
    t : float
        When it was counted (s, the protocol's clock).
    """

    leg: Leg
    number: int
    cue: Cue
    t: float


@dataclass(frozen=True)
class Display:
    """What the live view shows now.

    Attributes
    ----------
    step : Step
    prompt : str
        The main instruction (short, large).
    counts : dict of Leg to int
        Reps counted on each leg.
    target : int
        Reps asked per leg.
    seconds_left : int
        Whole seconds left of a timed step (countdown, standing, switch); 0 otherwise.
    standing_done : bool
        The standing reference has been recorded.
    cue : RepCue or None
        The latest rep's cue while it is shown (``cue_s``), else None.
    warning : str
        A framing problem during a squatting step (the count goes on), else empty.
    """

    step: Step
    prompt: str
    counts: dict[Leg, int]
    target: int
    seconds_left: int = 0
    standing_done: bool = False
    cue: RepCue | None = None
    warning: str = ""


@dataclass
class Protocol:
    """The guided protocol's state; feed it with :meth:`update`, read it with :meth:`display`.

    Parameters
    ----------
    settings : ProtocolSettings

    Attributes
    ----------
    step : Step
        The current step.
    announcements : list of (int, str)
        Everything to say aloud so far, numbered from 1 (a listener speaks
        the ones after the last number it spoke).
    windows : dict of Leg to (float, float)
        When each leg's squats were asked for: from its prompt to the next
        step (s, the clock of :meth:`update`; the end is the last update's
        time while the step lasts). See :func:`asked_reps_only`.
    """

    settings: ProtocolSettings
    step: Step = Step.FRAMING
    announcements: list[tuple[int, str]] = field(default_factory=list)
    _since: float | None = None  # when the current step began (s)
    _held_since: float | None = None  # when the condition of framing or standing began to hold (s)
    _counts: dict[Leg, int] = field(default_factory=lambda: dict.fromkeys(SIDES, 0))
    _cue: RepCue | None = None
    _warning: str = ""
    _prompt: str = ""
    _now: float = 0.0
    _window_starts: dict[Leg, float] = field(default_factory=dict)
    _window_ends: dict[Leg, float] = field(default_factory=dict)

    @property
    def windows(self) -> dict[Leg, tuple[float, float]]:
        """Each leg's squatting step, ``(start, end)`` in seconds (see the class's attributes)."""
        return {leg: (start, self._window_ends.get(leg, self._now)) for leg, start in self._window_starts.items()}

    def update(self, t: float, framing: Framing, both_feet: bool, reps: Sequence[Rep], analysed_to: float = float("inf")) -> None:
        """Advance to time ``t`` (s, increasing).

        Parameters
        ----------
        t : float
            The frame's time, seconds on any increasing clock.
        framing : Framing
            This frame's framing (:func:`knee_cv.core.framing.check_framing`).
        both_feet : bool
            Both feet are planted now (the live stance is :attr:`Leg.BOTH`).
        reps : sequence of Rep
            Every rep the live analysis has found so far, in time order.
        analysed_to : float
            Time of the last frame that analysis saw (s, the same clock): a
            rep ending within ``settle_s`` of it may still be under way (the
            live analysis reports a rep in progress as one ending at the
            track's end), so it is counted at a later analysis.
        """
        self._now = t
        if self._since is None:
            self._since = t
        self._warning = ""
        self._prompt = framing.prompt
        if self.step is Step.FRAMING:
            if self._held(t, framing.ok) >= self.settings.framing_hold_s:
                self._enter(Step.COUNTDOWN, t, "Get ready")
        elif self.step is Step.COUNTDOWN:
            if not framing.ok:
                self._enter(Step.FRAMING, t, framing.prompt)
            elif t - self._since >= self.settings.countdown_s:
                self._enter(Step.STANDING, t, "Stand still on both feet")
        elif self.step is Step.STANDING:
            if self._held(t, both_feet and framing.ok) >= self.settings.standing_s:
                self._enter(Step.LEFT, t, self._squat_prompt(Leg.LEFT))
        elif self.step in SQUAT_STEPS:
            self._warning = framing.prompt
            done = [rep for rep in reps if rep.t_end < analysed_to - self.settings.settle_s]
            self._count(t, SQUAT_STEPS[self.step], done)
        elif self.step is Step.SWITCH and t - self._since >= self.settings.switch_s:
            self._enter(Step.RIGHT, t, self._squat_prompt(Leg.RIGHT))

    def display(self) -> Display:
        """What to show at the time of the last :meth:`update`."""
        step, now, since = self.step, self._now, self._since if self._since is not None else self._now
        left = {Step.COUNTDOWN: self.settings.countdown_s, Step.SWITCH: self.settings.switch_s}
        seconds_left = 0
        if step in left:
            seconds_left = max(1, math.ceil(left[step] - (now - since)))
        elif step is Step.STANDING:
            held = now - self._held_since if self._held_since is not None else 0.0
            seconds_left = max(1, math.ceil(self.settings.standing_s - held))
        cue = self._cue if self._cue is not None and now - self._cue.t <= self.settings.cue_s else None
        return Display(
            step=step,
            prompt=self._prompt_of(step),
            counts=dict(self._counts),
            target=self.settings.reps_per_leg,
            seconds_left=seconds_left,
            standing_done=step not in (Step.FRAMING, Step.COUNTDOWN, Step.STANDING),
            cue=cue,
            warning=self._warning,
        )

    # ------------------------------------------------------------ internals
    def _prompt_of(self, step: Step) -> str:
        prompts = {
            Step.FRAMING: self._prompt or "Hold still",
            Step.COUNTDOWN: "Get ready",
            Step.STANDING: "Stand still on both feet",
            Step.LEFT: self._squat_prompt(Leg.LEFT),
            Step.SWITCH: "Switch legs: now your RIGHT leg",
            Step.RIGHT: self._squat_prompt(Leg.RIGHT),
            Step.DONE: "Done: your results are next",
        }
        return prompts[step]

    def _squat_prompt(self, leg: Leg) -> str:
        return f"{self.settings.reps_per_leg} slow squats on your {str(leg).upper()} leg"

    def _held(self, t: float, condition: bool) -> float:
        """Seconds ``condition`` has held continuously up to ``t`` (0 when it does not hold)."""
        if not condition:
            self._held_since = None
            return 0.0
        if self._held_since is None:
            self._held_since = t
        return t - self._held_since

    def _enter(self, step: Step, t: float, announcement: str) -> None:
        if self.step in SQUAT_STEPS:
            self._window_ends[SQUAT_STEPS[self.step]] = t
        if step in SQUAT_STEPS:
            self._window_starts[SQUAT_STEPS[step]] = t
        self.step, self._since, self._held_since = step, t, None
        self.announcements.append((len(self.announcements) + 1, announcement))

    def _count(self, t: float, leg: Leg, reps: Sequence[Rep]) -> None:
        """Count the reps on ``leg`` whose deepest point came after this step began; move on at the target."""
        since = t if self._since is None else self._since  # update() sets it before any step counts
        mine = [rep for rep in reps if rep.leg == leg and rep.t_bottom >= since]
        if len(mine) > self._counts[leg]:
            self._counts[leg] = min(len(mine), self.settings.reps_per_leg)
            cue = rep_cue(mine[self._counts[leg] - 1])
            self._cue = RepCue(leg, self._counts[leg], cue, t)
            self.announcements.append((len(self.announcements) + 1, f"{self._counts[leg]}: {cue}"))
        if self._counts[leg] >= self.settings.reps_per_leg:
            if leg is Leg.LEFT:
                self._enter(Step.SWITCH, t, "Switch legs: now your right leg")
            else:
                self._enter(Step.DONE, t, "Done")


#: Why a rep the guided protocol did not ask for is not counted.
NOT_ASKED_REASON = "done outside the guided squats on this leg (before its prompt or while switching legs), so not counted"


def asked_reps_only(analysis: Analysis, windows: Mapping[Leg, tuple[float, float]]) -> Analysis:
    """``analysis`` with the reps the guided protocol did not ask for left out of its findings.

    A rep was asked for when its deepest point lies in its leg's window
    (:attr:`Protocol.windows`, seconds on the track's clock): a squat during
    the countdown, the standing reference or the switch, or on the other
    leg, is not. Those reps stay in the list, unreliable with
    :data:`NOT_ASKED_REASON` and without flags, so the means, the rating,
    the left-right sentence (:func:`knee_cv.core.assessment.rerate`) and the
    exercises come from the squats the person was asked to do, as the
    counters on the picture showed them.

    Parameters
    ----------
    analysis : Analysis
        The analysis of the whole live session.
    windows : mapping of Leg to (float, float)
        Each leg's squatting window, ``(start, end)`` in seconds.

    Returns
    -------
    Analysis
        ``analysis`` itself when every rep was asked for, or when no squats
        were asked for yet (stopped before the first prompt: the squats done
        are measured as on the upload page); otherwise a copy.
    """

    def asked(rep: Rep) -> bool:
        window = windows.get(Leg(rep.leg))
        return window is not None and window[0] <= rep.t_bottom <= window[1]

    if not windows or all(asked(rep) for rep in analysis.reps):
        return analysis
    reps = [
        rep
        if asked(rep)
        else replace(rep, reliable=False, unreliable_reasons=[*rep.unreliable_reasons, NOT_ASKED_REASON], flags=[], undecided=[])
        for rep in analysis.reps
    ]
    return replace(
        analysis,
        reps=reps,
        summary=rerate(analysis.summary, reps, analysis.thresholds),
        recommendations=recommend_for(reps),
    )
