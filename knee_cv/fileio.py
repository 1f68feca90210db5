"""Output files written whole or not at all, and one sentence when one cannot be written.

Every file knee_cv writes for a user (track files, JSON, CSV, PDF, a batch's
results) goes through :func:`write_atomically`: the content goes to a
temporary file in the destination's folder, is flushed to the disk and is
renamed onto the destination, so a full disk, a crash or Ctrl-C leaves the
old file (or none) and never half a file. :func:`check_output` refuses a
path that cannot be written before any slow work starts.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from pathlib import Path

from knee_cv.errors import KneeCvError

#: What an ``errno`` means for a file being written, and what to do about it.
_REASONS = {
    errno.ENOSPC: ("no space left on the device", "free some space or choose another folder"),
    errno.EDQUOT: ("the disk quota is used up", "free some space or choose another folder"),
    errno.EFBIG: ("the file is larger than this disk or this process may write", "choose another folder"),
    errno.EACCES: ("permission denied", "choose a folder you may write to"),
    errno.EPERM: ("permission denied", "choose a folder you may write to"),
    errno.EROFS: ("the disk is read-only", "choose another folder"),
    errno.ENOENT: ("its folder does not exist", "create the folder first or choose another one"),
    errno.ENOTDIR: ("a part of its folder path is a file", "choose another folder"),
    errno.EISDIR: ("it is a folder", "give the name of a file inside it"),
}


def write_error(path: str | Path, error: OSError) -> KneeCvError:
    """The one-sentence error for an ``OSError`` met while writing ``path``.

    Parameters
    ----------
    path : str or Path
        The output file as the user named it.
    error : OSError
        What the operating system answered.

    Returns
    -------
    KneeCvError
        "Could not write PATH: what happened; what to do. Nothing was written to it."
    """
    what, todo = _REASONS.get(error.errno or 0, ((error.strerror or str(error)).lower(), "check the path and the disk"))
    return KneeCvError(f"Could not write {path}: {what}; {todo}. Nothing was written to it.")


def check_output(path: str | Path, *, example: str) -> Path:
    """Refuse an output path that cannot be written, before any slow work.

    Parameters
    ----------
    path : str or Path
        The file to be written (it may exist; it is replaced).
    example : str
        A file name to suggest when ``path`` is a folder, such as "report.pdf".

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    KneeCvError
        When ``path`` is a folder, its folder is missing or not a folder, or
        this process may not write there.
    """
    path = Path(path)
    if _is_special(path):
        if not os.access(path, os.W_OK):
            raise write_error(path, OSError(errno.EACCES, os.strerror(errno.EACCES)))
        return path
    target = Path(os.path.realpath(path))
    if target.is_dir():
        raise KneeCvError(f"{path} is a folder; give the name of a file to write, such as {path / example}.")
    if not target.parent.is_dir():
        code = errno.ENOTDIR if target.parent.exists() else errno.ENOENT
        raise write_error(path, OSError(code, os.strerror(code)))
    if not os.access(target.parent, os.W_OK | os.X_OK):
        read_only = hasattr(os, "statvfs") and os.statvfs(target.parent).f_flag & os.ST_RDONLY  # not on Windows
        code = errno.EROFS if read_only else errno.EACCES
        raise write_error(path, OSError(code, os.strerror(code)))
    return path


def write_atomically(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Write a file whole or not at all.

    Parameters
    ----------
    path : str or Path
        The file to write; an existing one is replaced only once the new
        content is complete on the disk. A symbolic link is followed (the
        file it points to is replaced); a device or pipe, such as
        ``/dev/stdout``, is written directly.
    write : callable
        ``write(temporary_path)`` writes the whole content to the path it is
        given, which keeps the destination's file ending (so writers that go
        by the ending, such as NumPy's ``.npz``, work).

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    KneeCvError
        When the operating system refuses the write (see :func:`write_error`);
        the old file, if any, is left as it was and no temporary file remains.
    """
    path = Path(path)
    try:
        if _is_special(path):
            write(path)
        else:
            _replace(Path(os.path.realpath(path)), write)
    except OSError as error:
        raise write_error(path, error) from error
    return path


def _is_special(path: Path) -> bool:
    """True for a path that leads to neither a regular file nor a folder, nor nowhere (a device, a pipe)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _replace(target: Path, write: Callable[[Path], object]) -> None:
    """Write to a new temporary file beside ``target``, flush it to the disk and rename it onto ``target``."""
    temporary = target.with_name(f".{target.stem}.{os.getpid()}-{os.urandom(4).hex()}.part{target.suffix}")
    os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))  # the umask's usual mode
    try:
        write(temporary)
        with open(temporary, "r+b") as written:
            os.fsync(written.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
