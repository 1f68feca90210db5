"""Property tests of the round trips: whatever track or analysis is written comes back exactly.

Hypothesis draws the inputs (odd floats, missing values, any text in the names, any number of
frames; synthetic squats of any leg, depth and valgus for the analyses), so these cover what the
example tests in test_trackio.py and test_store.py do not spell out. Derandomized: the same cases
run every time, and a failure names the case that broke.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from synthetic import synthetic_squats

from knee_cv.core.analysis import analyze
from knee_cv.core.landmarks import NUM_LANDMARKS
from knee_cv.core.orientation import Orientation
from knee_cv.core.track import PoseTrack
from knee_cv.media.trackio import load_csv, load_npz, save_csv, save_npz
from knee_cv.store import sessions as store

ROUND_TRIP = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

coordinates = st.one_of(st.just(float("nan")), st.floats(min_value=-1e6, max_value=1e6, allow_subnormal=True))
fractions = st.one_of(st.just(float("nan")), st.floats(min_value=0.0, max_value=1.0))
names = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)  # any text but lone surrogates


@st.composite
def tracks(draw) -> PoseTrack:
    """A pose track of 0 to 12 frames: drawn coordinates and scores (NaN anywhere), rising times, any names and orientation."""
    n = draw(st.integers(0, 12))
    t = np.cumsum([draw(st.floats(1e-3, 0.5)) for _ in range(n)]) + draw(st.floats(0.0, 100.0))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    xy = rng.normal(0.0, 1.0, (n, NUM_LANDMARKS, 2)) * draw(coordinates)
    visibility = rng.random((n, NUM_LANDMARKS)) * draw(fractions)
    presence = rng.random((n, NUM_LANDMARKS))
    world = rng.normal(0.0, 0.5, (n, NUM_LANDMARKS, 3))
    missing = rng.random(n) < draw(st.floats(0.0, 1.0))
    xy[missing] = np.nan
    visibility[missing] = presence[missing] = world[missing] = np.nan
    people = np.where(missing, 0, rng.integers(1, 4, n))
    return PoseTrack(
        t=t,
        xy=xy,
        visibility=visibility,
        presence=presence,
        world=world,
        width=draw(st.integers(32, 8000)),
        height=draw(st.integers(32, 8000)),
        fps=draw(st.floats(1.0, 240.0)),
        model=draw(names),
        people=people,
        source=draw(names),
        duration_s=draw(st.one_of(st.just(float("nan")), st.floats(0.0, 1e4))),
        orientation=Orientation(mirrored=draw(st.booleans()), turned_deg=draw(st.sampled_from([0, 90, 180, 270]))),
    )


@ROUND_TRIP
@given(track=tracks())
def test_a_track_comes_back_from_csv_exactly(tmp_path, track):
    path = tmp_path / "track.csv"
    save_csv(track, path)
    assert load_csv(path).equals(track)


@ROUND_TRIP
@given(track=tracks())
def test_a_track_comes_back_from_npz_exactly(tmp_path, track):
    path = tmp_path / "track.npz"
    save_npz(track, path)
    assert load_npz(path).equals(track)


squats = st.builds(
    synthetic_squats,
    n_reps=st.just(2),
    stance_legs=st.sampled_from(["left", "right", ("left", "right")]),
    depth=st.floats(0.1, 0.35),
    valgus_deg=st.floats(-10.0, 25.0),
    pelvic_drop_deg=st.floats(-3.0, 10.0),
    jitter_px=st.floats(0.0, 3.0),
    dropout_rate=st.floats(0.0, 0.1),
    seed=st.integers(0, 1000),
)


@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(squat=squats)
def test_an_analysis_comes_back_from_the_store_exactly(tmp_path_factory, squat):
    track, _ = squat
    analysis = analyze(track)
    db_url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'knee.sqlite3'}"
    session = store.save_analysis(analysis, "P001", saved_by="test", db_url=db_url)
    back = store.load_analysis(session.id, db_url=db_url)
    assert back.to_json(include_series=False) == analysis.to_json(include_series=False)
    assert len(back.series) == len(analysis.series) > 0
    for name, values in analysis.series.to_dict().items():
        assert np.asarray(back.series.to_dict()[name]).tobytes() == np.asarray(values).tobytes(), name
