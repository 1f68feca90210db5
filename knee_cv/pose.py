"""Running MediaPipe's PoseLandmarker over video frames, and picking the subject.

The landmarker runs in VIDEO mode (it tracks the pose from frame to frame).
A first pass tracks one person and, twice a second, counts the people in
view. When it ever sees more than one, a second pass looks for up to
``MAX_PEOPLE`` people in every frame: every detected pose is kept as a
candidate, the candidates are linked into tracklets (the same person in
consecutive frames), tracklets are grouped into people, and the subject is
the person with the most body-size-weighted frames, so the same person is
followed throughout instead of whoever is biggest in one frame.

To use both CPU cores the clip is cut in two halves by time, each with its
own decoder thread and landmarker; the halves are joined before linking.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from knee_cv.landmarks import NUM_LANDMARKS, Landmark
from knee_cv.models import ModelInfo, ensure_model
from knee_cv.track import PoseTrack
from knee_cv.video import VideoLimits, frames_in_background, iter_frames, probe

#: Most people looked for in one frame (the subject plus one bystander is enough
#: to tell "two people" apart; more costs time on every frame).
MAX_PEOPLE = 2
#: Frames are shrunk so their long side is at most this many pixels before
#: inference: the landmark model sees a 256 x 256 crop, so detail beyond this
#: is thrown away anyway, and smaller frames convert faster (measured on a
#: 1920 x 1012 clip: 32 fps at 1280 px, 36 fps at 960 px, same detections).
INFERENCE_LONG_SIDE = 960
#: Two poses in consecutive frames are the same person when their centres are
#: closer than this fraction of the body height.
LINK_DISTANCE = 0.5
#: How far (body heights) a person may move per second while not seen.
REACH_PER_S = 0.5
#: Seconds between two people counts of the first, one-person pass (about every
#: 5th frame at 30 fps: often enough for the census to track people itself).
CENSUS_INTERVAL_S = 1 / 6
#: Census checks that must see more than one person before the careful pass runs.
CROWDED_CHECKS = 2

Progress = Callable[[int, "int | None"], None]


@dataclass
class _Candidate:
    """One detected pose in one frame (pixel coordinates of the full frame)."""

    xy: np.ndarray  # (33, 2)
    visibility: np.ndarray  # (33,)
    presence: np.ndarray  # (33,)
    world: np.ndarray  # (33, 3)

    @property
    def centre(self) -> np.ndarray:
        torso = [Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER, Landmark.LEFT_HIP, Landmark.RIGHT_HIP]
        return self.xy[torso].mean(axis=0)

    @property
    def size(self) -> float:
        """Body height in pixels (top of head region to lowest foot point)."""
        return float(np.ptp(self.xy[:, 1])) or 1.0


def create_landmarker(model: ModelInfo, num_poses: int = MAX_PEOPLE):
    """A MediaPipe Tasks PoseLandmarker for ``model`` in VIDEO mode (tracking across frames).

    Wrapped in :class:`knee_cv.quiet.Quieted`, so MediaPipe's native log lines
    (at creation, the first inferences until a pose is found, close) stay off
    the terminal.
    """
    from mediapipe.tasks.python import BaseOptions, vision

    from knee_cv.quiet import Quieted, native_logs_silenced

    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(model.path)),
        running_mode=vision.RunningMode.VIDEO,
        num_poses=num_poses,
    )
    with native_logs_silenced():
        return Quieted(vision.PoseLandmarker.create_from_options(options),
                       warmed=lambda result: bool(result.pose_landmarks))


def _to_inference_size(rgb: np.ndarray) -> np.ndarray:
    import cv2

    height, width = rgb.shape[:2]
    scale = INFERENCE_LONG_SIDE / max(height, width)
    if scale >= 1.0:
        return rgb
    size = (round(width * scale), round(height * scale))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)


def _candidates(result, width: int, height: int) -> list[_Candidate]:
    found = []
    for index, landmarks in enumerate(result.pose_landmarks):
        values = np.array([(p.x, p.y, p.visibility, p.presence) for p in landmarks], dtype=float)
        world = result.pose_world_landmarks[index] if result.pose_world_landmarks else []
        world_xyz = np.array([(p.x, p.y, p.z) for p in world], dtype=float).reshape(-1, 3)
        if world_xyz.shape[0] != NUM_LANDMARKS:
            world_xyz = np.full((NUM_LANDMARKS, 3), np.nan)
        found.append(_Candidate(
            xy=values[:, :2] * (width, height), visibility=values[:, 2],
            presence=values[:, 3], world=world_xyz,
        ))
    return found


def detect_frames(
    frames: Iterable[tuple[float, np.ndarray]], landmarker, timestamp_offset_ms: int = 0,
    on_frame: Callable[[], None] | None = None,
) -> Iterator[tuple[float, int, int, list[_Candidate]]]:
    """Run a VIDEO-mode landmarker over frames.

    Yields
    ------
    (t, width, height, candidates)
        Time in seconds, upright frame size in pixels, and every pose found.
    """
    import mediapipe as mp

    last_ms = -1
    for t, rgb in frames:
        height, width = rgb.shape[:2]
        small = np.ascontiguousarray(_to_inference_size(rgb))
        # MediaPipe needs strictly increasing integer milliseconds.
        stamp = max(int(round(t * 1000)) + timestamp_offset_ms, last_ms + 1)
        last_ms = stamp
        result = landmarker.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=small), stamp)
        yield t, width, height, _candidates(result, width, height)
        if on_frame:
            on_frame()


def _link_tracklets(per_frame: list[list[_Candidate]]) -> list[list[tuple[int, int]]]:
    """Greedy frame-to-frame linking: each tracklet is a list of (frame, candidate index)."""
    open_tracklets: list[list[tuple[int, int]]] = []
    finished: list[list[tuple[int, int]]] = []
    for frame, candidates in enumerate(per_frame):
        still_open = []
        taken = set()
        for tracklet in open_tracklets:
            last_frame, last_index = tracklet[-1]
            if last_frame != frame - 1:
                finished.append(tracklet)
                continue
            last = per_frame[last_frame][last_index]
            best, best_distance = None, LINK_DISTANCE
            for index, candidate in enumerate(candidates):
                if index in taken:
                    continue
                distance = np.linalg.norm(candidate.centre - last.centre) / max(last.size, 1.0)
                if distance < best_distance:
                    best, best_distance = index, distance
            if best is None:
                finished.append(tracklet)
            else:
                taken.add(best)
                tracklet.append((frame, best))
                still_open.append(tracklet)
        for index in range(len(candidates)):
            if index not in taken:
                still_open.append([(frame, index)])
        open_tracklets = still_open
    return finished + open_tracklets


def select_subject(per_frame: list[list[_Candidate]], times: np.ndarray) -> list[int | None]:
    """Pick the subject's candidate in every frame (None where the subject is not seen).

    Candidates are linked into tracklets, and tracklets are grouped into
    people: taking the tracklets from the longest and closest (sum of body
    height over frames) down, each joins the person whose nearest position in
    time is closest to it, when it does not overlap that person in time and is
    within reach (``LINK_DISTANCE`` body heights plus ``REACH_PER_S`` body heights
    per second of gap), or else starts a new person. The subject is the person
    with the largest total, so a bystander seen now and then never takes over.
    """
    people: list[list[list[tuple[int, int]]]] = []
    for tracklet in sorted(_link_tracklets(per_frame), key=lambda tr: _weight(per_frame, tr), reverse=True):
        best, best_distance = None, np.inf
        for person in people:
            distance = _distance_to_person(per_frame, times, person, tracklet)
            if distance < best_distance:
                best, best_distance = person, distance
        if best is None:
            people.append([tracklet])
        else:
            best.append(tracklet)
    chosen: list[int | None] = [None] * len(per_frame)
    if people:
        subject = max(people, key=lambda person: sum(_weight(per_frame, tr) for tr in person))
        for tracklet in subject:
            for frame, index in tracklet:
                chosen[frame] = index
    return chosen


def _weight(per_frame, tracklet) -> float:
    return sum(per_frame[f][i].size for f, i in tracklet)


def _distance_to_person(per_frame, times, person, tracklet) -> float:
    """Distance (body heights) from a tracklet's ends to a person; inf when out of reach."""
    where = {f: i for tr in person for f, i in tr}
    frames = np.array(sorted(where))
    if any(f in where for f, _ in tracklet):
        return np.inf
    best = np.inf
    for frame, index in (tracklet[0], tracklet[-1]):
        nearest = int(frames[np.argmin(np.abs(frames - frame))])
        known = per_frame[nearest][where[nearest]]
        distance = np.linalg.norm(per_frame[frame][index].centre - known.centre) / known.size
        reach = LINK_DISTANCE + REACH_PER_S * abs(times[frame] - times[nearest])
        if distance < reach:
            best = min(best, distance)
    return best


def build_track(
    times: list[float], sizes: tuple[int, int], per_frame: list[list[_Candidate]], *,
    fps: float, model: str, source: str,
) -> PoseTrack:
    """Assemble the subject's PoseTrack from per-frame candidates."""
    width, height = sizes
    track = PoseTrack.empty(len(times), t=np.asarray(times), width=width, height=height, fps=fps,
                            model=model, source=source)
    track.people = np.array([len(c) for c in per_frame], dtype=int)
    for frame, index in enumerate(select_subject(per_frame, track.t)):
        if index is None:
            continue
        candidate = per_frame[frame][index]
        track.xy[frame] = candidate.xy
        track.visibility[frame] = candidate.visibility
        track.presence[frame] = candidate.presence
        track.world[frame] = candidate.world
    return track


def track_video(
    path: str | Path, *, model_path: str | Path | None = None, variant: str = "full",
    progress: Progress | None = None, limits: VideoLimits = VideoLimits(), workers: int = 2,
) -> PoseTrack:
    """Find the subject's pose in every frame of a video.

    Parameters
    ----------
    path : path-like
        The video file.
    model_path : path-like, optional
        An explicit ``.task`` model; default: the cached or built "full" model.
    variant : str
        Model variant when no path is given ("full", "lite", "heavy").
    progress : callable, optional
        Called as ``progress(frames_done, frames_expected)`` as frames finish;
        ``frames_expected`` is an estimate from the container (or None).
    limits : VideoLimits
        Size, duration and dimension limits for the file.
    workers : int
        Parallel landmarkers, each on its own stretch of the clip.

    Returns
    -------
    PoseTrack
        Pixel coordinates in the upright frame; NaN where the subject is not
        seen; ``people`` counts the poses found in each frame.

    Raises
    ------
    knee_cv.errors.VideoError
        When the file is not a usable video.
    """
    info = probe(path, limits)
    model = ensure_model(variant, model_path)
    expected = info.claimed_frames or (round(info.duration_s * info.fps) if info.fps else None)
    workers = max(1, workers if info.duration_s >= 4.0 else 1)
    crowded = _CrowdCount()
    rows = _detect_in_parts(path, limits, model, info.duration_s, workers, num_poses=1, crowded=crowded,
                            progress=progress, expected=expected)
    if crowded.is_crowded():
        rows = _detect_in_parts(path, limits, model, info.duration_s, workers, num_poses=MAX_PEOPLE,
                                crowded=None, progress=progress, expected=expected)
    times = [t for t, _, _, _ in rows]
    per_frame = [candidates for _, _, _, candidates in rows]
    return build_track(times, (info.width, info.height), per_frame, fps=info.fps,
                       model=model.model_id, source=Path(path).name)


def _detect_in_parts(
    path, limits: VideoLimits, model: ModelInfo, duration: float, workers: int, *, num_poses: int,
    crowded: _CrowdCount | None, progress: Progress | None, expected: int | None,
) -> list[tuple[float, int, int, list[_Candidate]]]:
    """Run landmarkers over ``workers`` consecutive stretches of a clip (``duration`` s) in parallel threads.

    With ``crowded`` given, each stretch also takes a census (see
    :func:`_census`) and all stop as soon as the census finds a crowd; the
    rows are then incomplete and the caller starts over.
    """
    bounds = [duration * k / workers for k in range(workers)] + [math.inf]
    results: list[list] = [[] for _ in range(workers)]
    errors: list[BaseException] = []
    done = 0
    lock = threading.Lock()

    def count_frame() -> None:
        nonlocal done
        with lock:
            done += 1
            current = done
        if progress:
            progress(current, expected)

    def run(part: int) -> None:
        try:
            start, stop = bounds[part], bounds[part + 1]
            frames = ((t, rgb) for t, rgb in iter_frames(path, limits) if start <= t < stop)
            if crowded is not None:
                frames = _census(frames, model, crowded)
            landmarker = create_landmarker(model, num_poses=num_poses)
            try:
                for row in detect_frames(frames_in_background(frames), landmarker, on_frame=count_frame):
                    results[part].append(row)
                    if crowded is not None and crowded.is_crowded():
                        return
            finally:
                landmarker.close()
        except BaseException as error:  # re-raised in the caller's thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(k,), daemon=True) for k in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return [row for part in results for row in part]


class _CrowdCount:
    """Thread-safe count of census checks that saw more than one person."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0

    def add(self) -> None:
        with self._lock:
            self._count += 1

    def is_crowded(self) -> bool:
        """True once ``CROWDED_CHECKS`` checks saw more than one person."""
        with self._lock:
            return self._count >= CROWDED_CHECKS


def _census(
    frames: Iterable[tuple[float, np.ndarray]], model: ModelInfo, crowded: _CrowdCount,
) -> Iterator[tuple[float, np.ndarray]]:
    """Pass frames through, counting people every ``CENSUS_INTERVAL_S`` seconds.

    Tracking one person is about twice as fast as looking for two in every
    frame (the person detector then runs only when tracking is lost), so the
    first pass tracks one person and this census, a separate VIDEO-mode
    landmarker looking for ``MAX_PEOPLE`` on every few frames, checks that
    nobody else is in view. (Single images miss a half-hidden second person
    that tracking keeps: measured on two_people_01, 1 of 29 checks in IMAGE
    mode against 20 of 46 in VIDEO mode.) Each check that sees more than one person is counted in
    ``crowded``; one alone may be a poster or a logo taken for a person.
    """
    import mediapipe as mp

    counter = create_landmarker(model, num_poses=MAX_PEOPLE)
    try:
        next_check = -math.inf
        for t, rgb in frames:
            if t >= next_check:
                next_check = t + CENSUS_INTERVAL_S
                image = mp.Image(image_format=mp.ImageFormat.SRGB,
                                 data=np.ascontiguousarray(_to_inference_size(rgb)))
                if len(counter.detect_for_video(image, int(round(t * 1000))).pose_landmarks) > 1:
                    crowded.add()
            if crowded.is_crowded():
                return
            yield t, rgb
    finally:
        counter.close()


class LivePoseEstimator:
    """Pose landmarks for a live stream, one frame at a time (VIDEO mode, one person).

    Parameters
    ----------
    model_path : path-like, optional
        An explicit ``.task`` model; default: the cached or built "full" model.

    Notes
    -----
    Give it the unmirrored camera frame; mirror only what is displayed, or the
    person's left and right are swapped.
    """

    def __init__(self, model_path: str | Path | None = None, variant: str = "full") -> None:
        self.model = ensure_model(variant, model_path)
        self._landmarker = create_landmarker(self.model, num_poses=1)
        self._lock = threading.Lock()
        self._last_ms = -1

    def process(self, rgb: np.ndarray, timestamp_s: float) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Landmarks of the person in one RGB frame.

        Returns
        -------
        xy : ndarray (33, 2) or None
            Pixel coordinates, None when nobody is found.
        visibility : ndarray (33,) or None
        """
        height, width = rgb.shape[:2]
        with self._lock:
            stamp = max(int(round(timestamp_s * 1000)), self._last_ms + 1)
            self._last_ms = stamp
            rows = list(detect_frames([(stamp / 1000.0, rgb)], self._landmarker))
        candidates = rows[0][3]
        if not candidates:
            return None, None
        return candidates[0].xy, candidates[0].visibility

    def close(self) -> None:
        """Release the landmarker."""
        self._landmarker.close()

