"""Clinician password hashes: scrypt, salted, compared in constant time.

Hashes are written as ``scrypt$n$r$p$salt$hash`` (base64 parts) with
``hashlib.scrypt`` (n=2**14, r=8, p=1) and a random 16-byte salt. No web
framework here: the command line makes hashes (``knee-cv hash-password``),
the app checks them (:mod:`knee_cv.app.auth`).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets

MIN_LENGTH = 8
"""Shortest password accepted, in characters."""

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def hash_password(password: str) -> str:
    """A salted scrypt hash of ``password`` for a clinician's line in ``[clinicians]``.

    Raises
    ------
    ValueError
        If the password is shorter than :data:`MIN_LENGTH` characters.
    """
    if len(password) < MIN_LENGTH:
        raise ValueError(f"Choose a password of at least {MIN_LENGTH} characters.")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches a hash made by :func:`hash_password` (constant-time compare).

    A malformed hash never matches.
    """
    try:
        scheme, n, r, p, salt, digest = stored.strip().split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected))
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


@functools.cache
def dummy_hash() -> str:
    """A hash no password typed matches, checked for an unknown account name so it costs as long as a wrong password."""
    return hash_password(secrets.token_urlsafe(16))
