"""Who may read or write patient data in the app, and who they are.

The rule
--------
Everything that reads or writes the clinician store (saving a result to a
subject, the review page with its subjects, history, reviews and exports)
needs a clinician; analysing a video and downloading one's own result do not.

* The server listens on loopback only (``server.address`` is ``127.0.0.1``,
  ``localhost`` or ``::1``): nobody else can reach it, so there is no login.
  The clinician types their name (in the sidebar), which is recorded with
  each save and review.
* Anything else needs a login, **including an unset address** (Streamlit
  then listens on every network interface):

  - Streamlit's OIDC login (``st.login``) when an ``[auth]`` section is in
    ``.streamlit/secrets.toml``; the recorded name is the user's e-mail;
  - otherwise one account per clinician in a ``[clinicians]`` table there,
    each ``name = "<hash>"`` with the hash from ``knee-cv hash-password NAME``
    (:mod:`knee_cv.passwords`); the recorded name is the account's;
  - with neither, saving and the review page are refused with how to set one up.

Failed password logins are counted for the whole server by client address,
by account and overall (:mod:`knee_cv.app.throttle`), so more browser tabs buy
no more guesses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from knee_cv.app.throttle import LoginThrottle
from knee_cv.passwords import dummy_hash, verify_password

LOCAL_ADDRESSES = frozenset({"127.0.0.1", "localhost", "::1"})
"""Server addresses that only this computer can reach."""

ACCOUNTS_SECRET = "clinicians"
"""Table in Streamlit secrets: clinician account name to password hash."""

THROTTLE = LoginThrottle()
"""The server's one count of failed logins (module state lives as long as the server process)."""

_SESSION_KEY = "knee_cv_clinician"
_LOCAL_NAME_KEY = "knee_cv_local_reviewer"

Access = Literal["open", "oidc", "password", "refuse"]

REFUSAL = (
    "Patient data are behind a login, and this server is reachable from the network "
    "(server.address is {address}). Either run it for this computer only, with "
    "`streamlit run app.py --server.address 127.0.0.1`, or set up clinician accounts: run "
    "`knee-cv hash-password NAME` for each clinician and put the lines it prints under `[clinicians]` in "
    "`.streamlit/secrets.toml`, or configure Streamlit's OIDC login in an `[auth]` section there."
)


def is_local_address(address: str | None) -> bool:
    """True when a server bound to ``address`` is reachable from this computer only.

    ``None`` or ``""`` (Streamlit's default) means every interface: not local.
    """
    return (address or "").strip().strip("[]").lower() in LOCAL_ADDRESSES


def accounts(secrets: Mapping[str, Any]) -> dict[str, str]:
    """The clinician accounts in ``secrets``: name to password hash (empty names and hashes left out)."""
    table = secrets.get(ACCOUNTS_SECRET, {})
    if not isinstance(table, Mapping):
        return {}
    return {str(name).strip(): str(hashed).strip() for name, hashed in table.items() if str(name).strip() and str(hashed).strip()}


def access_mode(address: str | None, secrets: Mapping[str, Any]) -> Access:
    """How patient data are protected for a server address and its secrets.

    Returns
    -------
    {"open", "oidc", "password", "refuse"}
        ``open`` on loopback; else ``oidc`` when ``secrets`` has an ``auth``
        section, ``password`` when it has clinician accounts, and ``refuse``
        when it has neither.
    """
    if is_local_address(address):
        return "open"
    if "auth" in secrets:
        return "oidc"
    if accounts(secrets):
        return "password"
    return "refuse"


def _secrets() -> Mapping[str, Any]:
    try:
        return st.secrets.to_dict()
    except (StreamlitSecretNotFoundError, FileNotFoundError):
        return {}


def _mode() -> tuple[Access, Mapping[str, Any], str | None]:
    address = st.get_option("server.address")
    secrets = _secrets()
    return access_mode(address, secrets), secrets, address


def clinician(key: str) -> str | None:
    """The clinician of this browser session, or None; draws what it takes to become one.

    Draws nothing that stops the page, so it fits inside a section (the
    "Save to a subject" form) as well as at the top of the review page.

    Parameters
    ----------
    key : str
        Prefix of the login widgets' keys, unique on the page.

    Returns
    -------
    str or None
        On loopback, the name typed in the sidebar (None while empty); else
        the logged-in clinician's name, None until they log in (a login is
        drawn) or when no login is set up (the refusal is shown).
    """
    mode, secrets, address = _mode()
    if mode == "open":
        return _local_name()
    if mode == "oidc":
        return _oidc_name(key)
    if mode == "password":
        return _password_name(key, accounts(secrets))
    st.error(REFUSAL.format(address=address or "unset, so every interface"))
    return None


def require_reviewer() -> str:
    """Gate a page: the clinician's name (possibly "" on loopback), or a login drawn and the script stopped.

    Call it at the top of the review page, before anything reads the store.
    """
    name = clinician("review")
    if name is None and _mode()[0] != "open":
        st.stop()
    return name or ""


def _local_name() -> str | None:
    name = st.sidebar.text_input(
        "Your name", key=_LOCAL_NAME_KEY, help="Recorded with each session you save and each review you make."
    )
    return name.strip() or None


def _oidc_name(key: str) -> str | None:
    if not st.user.is_logged_in:
        st.info("Log in as a clinician to see or save patient data.")
        st.button("Log in", on_click=st.login, type="primary", key=f"{key}-oidc-login")
        return None
    st.sidebar.button("Log out", on_click=st.logout, key="knee_cv_oidc_logout")
    return str(st.user.get("email") or st.user.get("name") or "unknown user")


def _log_out() -> None:
    st.session_state.pop(_SESSION_KEY, None)


def _password_name(key: str, known: Mapping[str, str]) -> str | None:
    name = st.session_state.get(_SESSION_KEY)
    if name in known:
        st.sidebar.button(f"Log out ({name})", on_click=_log_out, key="knee_cv_logout")
        return name
    st.info("Log in as a clinician to see or save patient data.")
    with st.form(f"{key}-login"):
        account = st.text_input("Account name", key=f"{key}-account")
        password = st.text_input("Password", type="password", key=f"{key}-password")
        submitted = st.form_submit_button("Log in", type="primary")
    if submitted:
        problem = _check_login(account.strip(), password, known)
        if problem:
            st.error(problem)
        else:
            st.session_state[_SESSION_KEY] = account.strip()
            st.rerun()
    return None


def _check_login(account: str, password: str, known: Mapping[str, str]) -> str | None:
    """None when ``account`` and ``password`` log in; else the sentence to show (the attempt is counted)."""
    client = st.context.ip_address or "this computer"
    locked = THROTTLE.locked(client, account)
    if locked is not None:
        kind, seconds = locked
        where = {"client": "from this address", "account": "for this account", "server": "on this server"}[kind]
        return (
            f"Too many failed logins {where}: try again in {max(1, round(seconds / 60))} minutes, or ask "
            "the server's administrator to reset your password."
        )
    if verify_password(password, known.get(account, dummy_hash())) and account in known:
        THROTTLE.succeeded(client, account)
        return None
    THROTTLE.failed(client, account)
    return "Wrong account name or password."
