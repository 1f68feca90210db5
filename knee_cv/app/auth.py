"""Who may open the clinician review page, and who is reviewing.

The rule
--------
* The server listens on loopback only (``server.address`` is ``127.0.0.1``,
  ``localhost`` or ``::1``): nobody else can reach it, so the page is open.
  The reviewer's name is asked for (prefilled with the computer's user name).
* Anything else needs a login, **including an unset address**: Streamlit
  then listens on every network interface, so anyone on the network could
  reach the page. Run ``streamlit run app.py --server.address 127.0.0.1``
  (or set it in ``.streamlit/config.toml``) for a local, open page.
* Login is Streamlit's built-in OIDC (``st.login``) when an ``[auth]``
  section is in ``.streamlit/secrets.toml``; otherwise a password whose hash
  is ``review_password_hash`` in the same file (make one with
  :func:`hash_password`, e.g. ``knee-cv hash-password``). With neither, the
  page refuses and says how to set one up.

Password hashes are scrypt (``hashlib.scrypt``, n=2**14, r=8, p=1) with a
random 16-byte salt, written as ``scrypt$n$r$p$salt$hash`` (base64 parts).
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import secrets as _random
import time
from collections.abc import Mapping
from typing import Any, Literal

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

LOCAL_ADDRESSES = frozenset({"127.0.0.1", "localhost", "::1"})
"""Server addresses that only this computer can reach."""

PASSWORD_SECRET = "review_password_hash"
"""Key in Streamlit secrets holding the hash from :func:`hash_password`."""

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_SESSION_KEY = "knee_cv_reviewer"

Access = Literal["open", "oidc", "password", "refuse"]


def hash_password(password: str) -> str:
    """A salted scrypt hash of ``password`` to put in ``review_password_hash``.

    Raises
    ------
    ValueError
        If the password is shorter than 8 characters.
    """
    if len(password) < 8:
        raise ValueError("Choose a password of at least 8 characters.")
    salt = _random.token_bytes(16)
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
        actual = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                                dklen=len(expected))
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


def is_local_address(address: str | None) -> bool:
    """True when a server bound to ``address`` is reachable from this computer only.

    ``None`` or ``""`` (Streamlit's default) means every interface: not local.
    """
    return (address or "").strip().strip("[]").lower() in LOCAL_ADDRESSES


def access_mode(address: str | None, secrets: Mapping[str, Any]) -> Access:
    """How the review page is protected for a server address and its secrets.

    Returns
    -------
    {"open", "oidc", "password", "refuse"}
        ``open`` on loopback; else ``oidc`` when ``secrets`` has an ``auth``
        section, ``password`` when it has ``review_password_hash``, and
        ``refuse`` when it has neither.
    """
    if is_local_address(address):
        return "open"
    if "auth" in secrets:
        return "oidc"
    if str(secrets.get(PASSWORD_SECRET, "")).strip():
        return "password"
    return "refuse"


def _secrets() -> Mapping[str, Any]:
    try:
        return st.secrets.to_dict()
    except (StreamlitSecretNotFoundError, FileNotFoundError):
        return {}


REFUSAL = (
    "The clinician review page holds health data, and this server is reachable from the network "
    "(server.address is {address}). Either run it for this computer only, with "
    "`streamlit run app.py --server.address 127.0.0.1`, or set up a login: make a password hash with "
    "`knee-cv hash-password` and put the line `review_password_hash = \"...\"` it prints into "
    "`.streamlit/secrets.toml`, or configure Streamlit's OIDC login in an `[auth]` section there."
)


def require_reviewer() -> str:
    """Gate the page: return the reviewer's name, or draw a login and stop the script.

    Call it at the top of the review page, before anything reads the store.
    """
    address = st.get_option("server.address")
    secrets = _secrets()
    mode = access_mode(address, secrets)
    if mode == "open":
        return _local_reviewer()
    if mode == "oidc":
        return _oidc_reviewer()
    if mode == "password":
        return _password_reviewer(str(secrets[PASSWORD_SECRET]))
    st.error(REFUSAL.format(address=address or "unset, so every interface"))
    st.stop()
    raise AssertionError("unreachable: st.stop() ends the script run")


def _local_reviewer() -> str:
    try:
        default = getpass.getuser()
    except (KeyError, OSError):
        default = ""
    name = st.sidebar.text_input("Your name", value=default, key="knee_cv_local_reviewer",
                                 help="Recorded with each review you make.")
    return name.strip()


def _oidc_reviewer() -> str:
    if not st.user.is_logged_in:
        st.info("Log in to open the clinician review page.")
        st.button("Log in", on_click=st.login, type="primary")
        st.stop()
    st.sidebar.button("Log out", on_click=st.logout)
    return str(st.user.get("email") or st.user.get("name") or "unknown user")


def _password_reviewer(stored_hash: str) -> str:
    reviewer = st.session_state.get(_SESSION_KEY)
    if reviewer:
        if st.sidebar.button("Log out"):
            del st.session_state[_SESSION_KEY]
            st.rerun()
        return reviewer
    st.info("Log in to open the clinician review page.")
    with st.form("knee_cv_login"):
        name = st.text_input("Your name")
        password = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Log in", type="primary")
    if submitted:
        if not name.strip():
            st.error("Enter your name: it is recorded with each review.")
        elif verify_password(password, stored_hash):
            st.session_state[_SESSION_KEY] = name.strip()
            st.rerun()
        else:
            time.sleep(1.0)  # slows down guessing
            st.error("Wrong password.")
    st.stop()
    raise AssertionError("unreachable: st.stop() ends the script run")
