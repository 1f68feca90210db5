"""The thresholds as typed, frozen tables: one dataclass per table of ``thresholds.toml``.

Every decision number of the analysis comes from one :class:`Thresholds`
(built by :func:`knee_cv.core.thresholds.load_thresholds`, which checks the
file and the overrides first). The fields' meanings, units and sources are
written beside the numbers in ``thresholds.toml``; the field names here are
the file's keys, so a table reads back as the file wrote it
(:meth:`Thresholds.as_dict`), which is also how results and saved sessions
keep them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, get_type_hints

_T = TypeVar("_T")


@dataclass(frozen=True, kw_only=True)
class Limit:
    """A cut-off with its unit and source (``[knee_valgus]``, ``[pelvic_drop]`` and the like).

    Attributes
    ----------
    value : float
        The cut-off in use, in ``unit`` (the sex-specific one where a sex was given).
    unit : str
        "deg" or "ratio" (a fraction of the leg length).
    source : str
        Where the number comes from.
    female, male : float, optional
        Sex-specific values, where the table has them.
    source_female, source_male : str, optional
        Their sources.
    """

    # in the order of thresholds.toml, which results and sessions keep
    value: float
    female: float | None = None
    male: float | None = None
    unit: str
    source: str
    source_female: str | None = None
    source_male: str | None = None


@dataclass(frozen=True)
class RepTable:
    """``[reps]``: rep segmentation on the hip-drop series (fractions of the leg length, seconds)."""

    min_depth: float
    min_prominence: float
    min_interval_s: float
    edge_fraction: float
    merge_fraction: float
    min_relative_depth: float
    rest_speed: float
    rest_s: float
    source: str

    def segmentation(self) -> dict[str, float]:
        """The keyword arguments of :func:`knee_cv.core.reps.find_reps` (every field but the source)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "source"}


@dataclass(frozen=True)
class ConfidenceTable:
    """``[confidence]``: when a rep is unreliable, and how its bottom is taken."""

    min: float
    min_visibility: float
    min_hip_above_knee: float
    max_gap_fraction: float
    min_visible_share: float
    oblique_factor: float
    implausible_fppa: float
    cap_factor: float
    bottom_depth_fraction: float
    bottom_max_s: float
    max_fppa_spread: float
    spread_weight: float
    source: str


@dataclass(frozen=True)
class RatingTable:
    """``[rating]``: reliable reps a leg needs for a firm rating."""

    min_reps: int
    source: str


@dataclass(frozen=True)
class StandingTable:
    """``[standing]``: frames on both feet, the camera roll's reference."""

    max_hip_drop: float
    max_feet: float
    rep_start_s: float
    source: str


@dataclass(frozen=True)
class SessionTable:
    """``[session]``: when a recording cannot be measured, or is measured with a warning."""

    min_frames: int
    min_detection: float
    two_people_share: float
    cut_off_share: float
    cut_off_blocking: float
    max_unread_s: float
    source: str


@dataclass(frozen=True)
class FrameRateTable:
    """``[frame_rate]``: the longest median frame interval that can hold a squat's bottom, seconds."""

    max_interval_s: float
    source: str


@dataclass(frozen=True)
class OrientationTable:
    """``[orientation]``: share of frames in one other quarter that makes a picture turned."""

    min_share: float
    source: str


@dataclass(frozen=True)
class FilterTable:
    """``[filters]``: landmark clean-up (gate, Hampel, gap fill, low-pass or One Euro) and the live readouts' filter."""

    min_visibility: float
    min_presence: float
    frame_margin: float
    hampel_window: int
    hampel_sigmas: float
    max_gap_s: float
    lowpass_hz: float
    lowpass_order: int
    one_euro_min_cutoff: float
    one_euro_beta: float
    one_euro_d_cutoff: float
    live_readout_min_cutoff: float
    live_readout_beta: float
    live_readout_d_cutoff: float
    source: str


@dataclass(frozen=True)
class ViewTable:
    """``[view]``: camera view from the torso's width ratio."""

    side_max: float
    frontal_min: float
    smooth_s: float
    full_confidence_margin: float
    source: str


@dataclass(frozen=True)
class StanceTable:
    """``[stance]``: which leg a rep stands on."""

    planted_tolerance: float
    flexion_tolerance_deg: float
    frontal_still_weight: float
    frontal_flexion_weight: float
    side_limit: float
    source: str


@dataclass(frozen=True)
class ProtocolTable:
    """``[protocol]``: the live page's guided self-test (reps, framing, timings)."""

    reps_per_leg: int
    min_visibility: float
    frame_margin: float
    min_body_height: float
    max_body_height: float
    framing_hold_s: float
    countdown_s: float
    standing_s: float
    switch_s: float
    cue_s: float
    settle_s: float
    source: str


@dataclass(frozen=True)
class PlacementErrorTable:
    """``[placement_error]``: where the pose model puts hip, knee and ankle against hand-marked joint centres.

    ``bias`` and ``sd`` are rows hip, knee, ankle by columns along, across,
    in leg lengths (:class:`knee_cv.core.uncertainty.PlacementError`).
    """

    bias: tuple[tuple[float, ...], ...]
    sd: tuple[tuple[float, ...], ...]
    n_frames: int
    coverage: float
    unit: str
    source: str


@dataclass(frozen=True)
class Thresholds:
    """Every decision number of an analysis, one attribute per table of ``thresholds.toml``."""

    knee_valgus: Limit
    pelvic_drop: Limit
    trunk_lean: Limit
    knee_wobble: Limit
    shallow: Limit
    smallest_detectable_difference: Limit
    reps: RepTable
    confidence: ConfidenceTable
    rating: RatingTable
    standing: StandingTable
    session: SessionTable
    frame_rate: FrameRateTable
    orientation: OrientationTable
    filters: FilterTable
    view: ViewTable
    stance: StanceTable
    protocol: ProtocolTable
    placement_error: PlacementErrorTable
    knee_displacement: Limit

    def limit(self, name: str) -> Limit:
        """The cut-off table called ``name`` (a criterion's name, e.g. ``"knee_valgus"``).

        Raises
        ------
        KeyError
            When no cut-off table has that name.
        """
        table = getattr(self, name, None)
        if not isinstance(table, Limit):
            raise KeyError(f"no cut-off called {name!r}")
        return table

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """Table name to its keys, as ``thresholds.toml`` lays them out (sex-specific keys only where present)."""
        return {
            name: {key: _plain(value) for key, value in table.items() if value is not None}
            for name, table in dataclasses.asdict(self).items()
        }

    @classmethod
    def from_dict(cls, tables: Mapping[str, Mapping[str, Any]]) -> Thresholds:
        """Build from table name to keys, laid out as :meth:`as_dict` writes them (checked beforehand).

        Raises
        ------
        KeyError, TypeError
            When a table or key is missing or unknown; check the layout with
            :func:`knee_cv.core.thresholds.validate_thresholds` first for a
            sentence a person can act on.
        """
        kinds = get_type_hints(cls)  # each table's dataclass, by the table's name
        return cls(**{name: _table(kind, tables[name]) for name, kind in kinds.items()})


def _table(kind: type[_T], keys: Mapping[str, Any]) -> _T:
    """One table's dataclass from its keys, lists frozen into tuples."""
    return kind(**{key: _frozen(value) for key, value in keys.items()})


def _frozen(value: Any) -> Any:
    """A TOML or JSON value with its lists turned into tuples (nested lists too)."""
    return tuple(_frozen(v) for v in value) if isinstance(value, (list, tuple)) else value


def _plain(value: Any) -> Any:
    """The inverse of :func:`_frozen`: tuples back into lists, as TOML and JSON hold them."""
    return [_plain(v) for v in value] if isinstance(value, tuple) else value
