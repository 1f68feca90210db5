"""Finding, building, downloading and verifying the pose model file.

MediaPipe 1.x ships no pose model, and its model hub is often out of reach
(clinic networks, CI). knee_cv therefore builds its default model, the
BlazePose "full" landmarker, from the two TFLite files inside the mediapipe
0.10.21 wheel on PyPI (which any pip can fetch):

1. ``pip download --no-deps mediapipe==0.10.21`` for one pinned platform (the
   TFLite files are identical in every platform's wheel); the wheel is only
   read as a zip, never installed. Its SHA-256 is checked.
2. ``pose_landmark_full.tflite`` gets the TFLite metadata the Tasks API needs
   for its float input (an RGB image, normalized with mean 0 and std 255),
   written with MediaPipe's own flatbuffer schema modules.
3. Both files go into an uncompressed zip (a Tasks ``.task`` bundle) with
   entries aligned to 64 bytes and fixed timestamps, so the bytes are the same
   on every machine; the result is checked against a pinned SHA-256.

The "lite" and "heavy" variants are MediaPipe's official ``.task`` files,
downloaded on request.

Where a model comes from, first match wins:

1. an explicit path (argument, or the ``KNEE_CV_MODEL`` environment variable);
2. the user cache (``platformdirs.user_cache_dir("knee_cv")/models``);
3. building ("full") or downloading ("lite", "heavy") into the cache.

Writes go to a temporary file that is renamed into place, so two processes
fetching at once both end with a whole, verified file.
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from knee_cv.errors import ModelError

VARIANTS = ("full", "lite", "heavy")

#: The wheel the "full" model is built from (any platform's wheel holds the same
#: TFLite files; this one is pinned so the download and its hash are fixed).
WHEEL_REQUIREMENT = "mediapipe==0.10.21"
WHEEL_PLATFORM = "manylinux_2_28_x86_64"
WHEEL_PYTHON = "3.11"
WHEEL_NAME = "mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl"
WHEEL_SHA256 = "05dc4a9e593655a79558d05d6227d31018c2537a4bd3362b51e230cf22aecfe3"

DETECTOR_MEMBER = "mediapipe/modules/pose_detection/pose_detection.tflite"
DETECTOR_SHA256 = "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c"
LANDMARKS_MEMBER = "mediapipe/modules/pose_landmark/pose_landmark_full.tflite"
LANDMARKS_SHA256 = "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f"

#: SHA-256 of the ``.task`` bundle that :func:`build_full_model` writes.
FULL_TASK_SHA256 = "3fb33b069b1b6a627df49584ebdadac1ef8e0729eabc9beefcff88d7ed021a02"

OFFICIAL_BASE_URL = "https://storage.googleapis.com/mediapipe-models/pose_landmarker"
DOWNLOAD_TIMEOUT_S = 20.0
ZIP_ALIGNMENT = 64
_ZIP_DATE = (2024, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class ModelInfo:
    """A pose model file on disk and what it is.

    Attributes
    ----------
    variant : str
        "full", "lite", "heavy" or "custom" (an explicit path; one with the
        built full model's SHA-256 is "full", whatever its path).
    path : Path
    sha256 : str
        Hex digest of the file's bytes.
    """

    variant: str
    path: Path
    sha256: str

    @property
    def model_id(self) -> str:
        """Short identifier recorded with every result, e.g. ``full sha256:1a2b3c4d5e6f``."""
        return f"{self.variant} sha256:{self.sha256[:12]}"


def cache_dir() -> Path:
    """Folder of the cached model files (created on demand)."""
    return Path(platformdirs.user_cache_dir("knee_cv")) / "models"


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


#: Files a MediaPipe Tasks pose landmarker bundle holds.
BUNDLE_ENTRIES = ("pose_detector.tflite", "pose_landmarks_detector.tflite")


def _check_bundle(path: Path) -> None:
    """Raise :class:`ModelError` unless ``path`` is a ``.task`` zip with both pose models in it."""
    try:
        with zipfile.ZipFile(path) as bundle:
            missing = [name for name in BUNDLE_ENTRIES if name not in bundle.namelist()]
    except (zipfile.BadZipFile, OSError):
        missing = list(BUNDLE_ENTRIES)
    if missing:
        raise ModelError(
            f"{path} is not a MediaPipe pose landmarker (.task) file: it lacks "
            f"{' and '.join(missing)}. Point --model or KNEE_CV_MODEL at a pose_landmarker "
            "*.task file, or leave both unset to use the built-in model."
        )


def ensure_model(variant: str = "full", path: str | os.PathLike[str] | None = None) -> ModelInfo:
    """Return a verified pose model, building or downloading it when needed.

    Parameters
    ----------
    variant : {"full", "lite", "heavy"}
        Which BlazePose landmarker to use. Ignored when a path is given.
    path : path-like, optional
        An explicit ``.task`` file; wins over ``KNEE_CV_MODEL`` and the cache.

    Returns
    -------
    ModelInfo

    Raises
    ------
    ModelError
        When the model cannot be found, built or downloaded, with what to do.
    """
    explicit = path or os.environ.get("KNEE_CV_MODEL")
    if explicit:
        explicit = Path(explicit)
        if not explicit.is_file():
            raise ModelError(
                f"The pose model file {explicit} does not exist. Check the path "
                "(argument or KNEE_CV_MODEL), or leave it unset to use the built-in model."
            )
        _check_bundle(explicit)
        digest = sha256_of(explicit)
        return ModelInfo("full" if digest == FULL_TASK_SHA256 else "custom", explicit, digest)
    if variant not in VARIANTS:
        raise ModelError(f"Unknown model variant {variant!r}; choose one of {', '.join(VARIANTS)}.")
    target = cache_dir() / f"pose_landmarker_{variant}.task"
    if target.is_file():
        cached = ModelInfo(variant, target, sha256_of(target))
        if variant != "full" or cached.sha256 == FULL_TASK_SHA256:
            return cached
    if variant == "full":
        data = build_full_model()
    else:
        data = download_official_model(variant)
    _write_atomically(target, data)
    return ModelInfo(variant, target, hashlib.sha256(data).hexdigest())


def build_full_model(wheel: str | os.PathLike[str] | None = None) -> bytes:
    """Build the "full" ``.task`` bundle from the mediapipe 0.10.21 wheel.

    Parameters
    ----------
    wheel : path-like, optional
        A local copy of the pinned wheel (offline use). Defaults to
        ``KNEE_CV_MEDIAPIPE_WHEEL``, then a ``pip download`` into a temporary folder
        (pip's own cache makes repeats fast).

    Returns
    -------
    bytes
        The bundle; the same bytes on every machine (checked against
        ``FULL_TASK_SHA256``).
    """
    wheel = wheel or os.environ.get("KNEE_CV_MEDIAPIPE_WHEEL")
    with tempfile.TemporaryDirectory() as scratch:
        wheel_path = Path(wheel) if wheel else _download_wheel(Path(scratch))
        detector, landmarks = _read_wheel_models(wheel_path)
    bundle = _task_bundle(
        {
            "pose_detector.tflite": detector,
            "pose_landmarks_detector.tflite": _with_landmark_metadata(landmarks),
        }
    )
    digest = hashlib.sha256(bundle).hexdigest()
    if digest != FULL_TASK_SHA256:
        raise ModelError(
            f"The built pose model has SHA-256 {digest}, expected {FULL_TASK_SHA256}. "
            "Please report this as a bug, with your mediapipe and flatbuffers versions."
        )
    return bundle


def download_official_model(variant: str) -> bytes:
    """Download MediaPipe's official ``.task`` file of a variant ("lite" or "heavy").

    The address can be changed with ``KNEE_CV_MODEL_BASE_URL`` (a mirror).

    Raises
    ------
    ModelError
        At once when the download fails (no network, blocked host), saying how to
        get the file onto this machine.
    """
    base = os.environ.get("KNEE_CV_MODEL_BASE_URL", OFFICIAL_BASE_URL).rstrip("/")
    url = f"{base}/pose_landmarker_{variant}/float16/latest/pose_landmarker_{variant}.task"
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
            data: bytes = response.read()
    except (urllib.error.URLError, OSError) as error:
        raise ModelError(
            f"Could not download the {variant!r} pose model from {url} ({error}). This machine may be "
            f"offline or block that host. Download the file on another machine, copy it here and pass "
            f"its path (--model PATH or KNEE_CV_MODEL=PATH), or use the built-in 'full' variant, "
            f"which needs only PyPI."
        ) from error
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ModelError(f"The file downloaded from {url} is not a MediaPipe .task bundle. Try again later or pass a model path.")
    return data


def _download_wheel(folder: Path) -> Path:
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--platform",
        WHEEL_PLATFORM,
        "--python-version",
        WHEEL_PYTHON,
        "--dest",
        str(folder),
        WHEEL_REQUIREMENT,
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    wheel = folder / WHEEL_NAME
    if result.returncode != 0 or not wheel.is_file():
        raise ModelError(
            f"Could not fetch {WHEEL_REQUIREMENT} from PyPI to build the pose model "
            f"(pip said: {result.stderr.strip()[-300:]}). Check the network or pip's index settings, "
            f"or download {WHEEL_NAME} elsewhere and set KNEE_CV_MEDIAPIPE_WHEEL to its path."
        )
    return wheel


def _read_wheel_models(wheel: Path) -> tuple[bytes, bytes]:
    if not wheel.is_file():
        raise ModelError(f"The mediapipe wheel {wheel} does not exist (KNEE_CV_MEDIAPIPE_WHEEL?).")
    if sha256_of(wheel) != WHEEL_SHA256:
        raise ModelError(
            f"{wheel} is not the expected {WHEEL_NAME} (SHA-256 differs). "
            "Download it again, or unset KNEE_CV_MEDIAPIPE_WHEEL to let knee_cv fetch it."
        )
    with zipfile.ZipFile(wheel) as archive:
        detector = archive.read(DETECTOR_MEMBER)
        landmarks = archive.read(LANDMARKS_MEMBER)
    for name, data, expected in ((DETECTOR_MEMBER, detector, DETECTOR_SHA256), (LANDMARKS_MEMBER, landmarks, LANDMARKS_SHA256)):
        if hashlib.sha256(data).hexdigest() != expected:
            raise ModelError(f"{name} inside {wheel} has an unexpected SHA-256; the wheel is damaged.")
    return detector, landmarks


def _with_landmark_metadata(model: bytes) -> bytes:
    """Add the TFLite metadata the Tasks API needs to the BlazePose landmark model.

    The input is described as an RGB image normalized as ``(pixel - 0) / 255``
    (values in [0, 1]), which is how MediaPipe's own graph feeds this model.
    """
    import flatbuffers
    from mediapipe.tasks.metadata import metadata_schema_py_generated as meta
    from mediapipe.tasks.metadata import schema_py_generated as schema

    image = meta.TensorMetadataT()
    image.name = "image"
    image.content = meta.ContentT()
    image.content.contentPropertiesType = meta.ContentProperties.ImageProperties
    image.content.contentProperties = meta.ImagePropertiesT()
    image.content.contentProperties.colorSpace = meta.ColorSpaceType.RGB
    normalization = meta.ProcessUnitT()
    normalization.optionsType = meta.ProcessUnitOptions.NormalizationOptions
    normalization.options = meta.NormalizationOptionsT()
    normalization.options.mean = [0.0]
    normalization.options.std = [255.0]
    image.processUnits = [normalization]
    image.stats = meta.StatsT()
    image.stats.min = [0.0]
    image.stats.max = [1.0]

    model_object = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(model, 0))
    outputs = []
    for name in ("landmarks", "pose_flag", "segmentation", "heatmap", "world_landmarks"):
        tensor = meta.TensorMetadataT()
        tensor.name = name
        outputs.append(tensor)
    subgraph = meta.SubGraphMetadataT()
    subgraph.inputTensorMetadata = [image]
    subgraph.outputTensorMetadata = outputs[: len(model_object.subgraphs[0].outputs)]
    metadata = meta.ModelMetadataT()
    metadata.name = "BlazePose GHUM 3D landmarks (full)"
    metadata.minParserVersion = "1.0.0"
    metadata.subgraphMetadata = [subgraph]
    builder = flatbuffers.Builder(0)
    builder.Finish(metadata.Pack(builder), file_identifier=b"M001")
    metadata_bytes = bytes(builder.Output())

    buffer = schema.BufferT()
    buffer.data = list(metadata_bytes)
    model_object.buffers.append(buffer)
    entry = schema.MetadataT()
    entry.name = "TFLITE_METADATA"
    entry.buffer = len(model_object.buffers) - 1
    model_object.metadata = [m for m in (model_object.metadata or []) if m.name != b"TFLITE_METADATA"]
    model_object.metadata.append(entry)
    builder = flatbuffers.Builder(0)
    builder.Finish(model_object.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _task_bundle(members: dict[str, bytes]) -> bytes:
    """An uncompressed zip with each member's data aligned to ``ZIP_ALIGNMENT`` bytes."""
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.create_system = 3
            info.external_attr = 0o644 << 16
            header_end = output.tell() + 30 + len(name.encode())
            padding = (-(header_end + 4)) % ZIP_ALIGNMENT
            # Extra field 0xD935 is the one Android's zipalign uses for padding.
            info.extra = (0xD935).to_bytes(2, "little") + padding.to_bytes(2, "little") + bytes(padding)
            archive.writestr(info, data)
    return output.getvalue()


def _write_atomically(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=target.name, suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
