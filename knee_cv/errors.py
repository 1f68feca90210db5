"""Errors a user can cause, each with a message a person can act on."""


class KneeCvError(Exception):
    """Base class of every error knee_cv raises on purpose.

    The message is shown as it is to the user (app, CLI), so it says what
    went wrong and what to do about it.
    """


class VideoError(KneeCvError):
    """The file cannot be read as a usable video."""


class ModelError(KneeCvError):
    """The pose model cannot be found, built, downloaded or verified."""


class TrackFormatError(KneeCvError):
    """A pose-track file is not in a format knee_cv can read."""


class TrackError(KneeCvError):
    """A pose track whose frame times or frame size no analysis can use (see ``PoseTrack.problem``)."""


class StoreError(KneeCvError):
    """A request the clinician store cannot carry out (unknown subject, bad id, ...)."""


class ThresholdsError(KneeCvError, ValueError):
    """Thresholds that do not fit the packaged layout: an unknown or missing key, a value of the wrong kind."""
