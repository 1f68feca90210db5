"""Access to patient data: password hashes, the local rule, the login throttle, and the review page's gate (AppTest)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit import config
from streamlit.testing.v1 import AppTest
from test_store import sample_analysis

from knee_cv import passwords
from knee_cv.app import auth
from knee_cv.app.throttle import LIMITS, WINDOW_S, LoginThrottle
from knee_cv.store import sessions as store

PAGE = str(Path(__file__).resolve().parents[2] / "knee_cv" / "app" / "pages" / "review.py")


def test_hash_and_verify():
    stored = passwords.hash_password("correct horse")
    assert stored.startswith("scrypt$") and "correct horse" not in stored
    assert passwords.verify_password("correct horse", stored)
    assert not passwords.verify_password("correct hors", stored)
    assert passwords.hash_password("correct horse") != stored  # salted
    assert not passwords.verify_password("correct horse", "scrypt$broken")
    assert not passwords.verify_password("correct horse", "md5$1$2$3$abc$def")
    assert not passwords.verify_password("", passwords.dummy_hash())
    with pytest.raises(ValueError, match="at least 8"):
        passwords.hash_password("short")


@pytest.mark.parametrize(
    "address,local",
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("", False),
        (None, False),
        ("192.168.1.20", False),
        ("::", False),
    ],
)
def test_local_addresses(address, local):
    assert auth.is_local_address(address) is local


def test_access_mode():
    assert auth.access_mode("127.0.0.1", {}) == "open"
    assert auth.access_mode("0.0.0.0", {}) == "refuse"
    assert auth.access_mode(None, {}) == "refuse"
    assert auth.access_mode("0.0.0.0", {"clinicians": {"dr.wu": "scrypt$..."}}) == "password"
    assert auth.access_mode("0.0.0.0", {"clinicians": {"dr.wu": "  "}}) == "refuse"
    assert auth.access_mode("0.0.0.0", {"clinicians": "not a table"}) == "refuse"
    assert auth.access_mode("0.0.0.0", {"auth": {"client_id": "x"}, "clinicians": {"a": "h"}}) == "oidc"


class FakeClock:
    """A clock the test moves by hand (the throttle's ``clock`` and ``sleep``)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_throttle_locks_a_client_an_account_and_the_server():
    clock = FakeClock()
    throttle = LoginThrottle(clock=clock, sleep=clock.sleep)
    for _ in range(LIMITS["client"]):
        assert throttle.locked("10.0.0.1", "dr.wu") is None
        throttle.failed("10.0.0.1", "dr.wu")
    kind, seconds = throttle.locked("10.0.0.1", "someone.else")
    assert kind == "client" and WINDOW_S - 10 < seconds <= WINDOW_S
    assert throttle.locked("10.0.0.2", "DR.WU ")[0] == "account"  # the account is locked from anywhere
    assert throttle.locked("10.0.0.2", "dr.lee") is None
    throttle.succeeded("10.0.0.2", "dr.lee")
    assert throttle.locked("10.0.0.1", "dr.wu") is not None  # another's success unlocks nothing
    clock.now += WINDOW_S
    assert throttle.locked("10.0.0.1", "dr.wu") is None  # the window moved past the failures
    for i in range(LIMITS["server"]):
        throttle.failed(f"10.1.0.{i}", f"user{i}")
    assert throttle.locked("10.2.0.1", "dr.new") == ("server", WINDOW_S - LIMITS["server"])  # 1 s a failure


def test_failures_wait_for_each_other_across_threads():
    """Parallel guesses are serialised: N failures take N x the delay, whichever thread makes them."""
    import threading
    import time

    from knee_cv.app import throttle as module

    throttle = LoginThrottle()
    start = time.monotonic()
    threads = [threading.Thread(target=throttle.failed, args=(f"10.0.0.{i}", f"u{i}")) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert time.monotonic() - start >= 3 * module.FAILURE_DELAY_S - 0.05


@pytest.fixture(autouse=True)
def fresh_throttle(monkeypatch):
    """Each test starts with no failed logins counted (the server's count is module state)."""
    monkeypatch.setattr(auth, "THROTTLE", LoginThrottle(sleep=lambda _s: None))


@pytest.fixture
def filled_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'knee.sqlite3'}"
    store.save_analysis(sample_analysis(), "P001", saved_by="dr test", db_url=url)
    monkeypatch.setenv(store.DB_URL_ENV, url)
    return url


@pytest.fixture
def bind():
    """Set Streamlit's server.address for the test, and put it back."""
    before = config.get_option("server.address")
    yield lambda address: config.set_option("server.address", address)
    config.set_option("server.address", before)


def _texts(at: AppTest) -> str:
    return " ".join(str(e.value) for e in (*at.markdown, *at.error, *at.info, *at.success, *at.caption))


def test_page_open_on_localhost(filled_db, bind):
    bind("127.0.0.1")
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    assert not at.error
    assert [t.label for t in at.tabs] == ["Review queue (3)", "Subjects (1)"]
    assert at.sidebar.text_input(key="knee_cv_local_reviewer").value == ""  # typed, not the OS account


@pytest.mark.parametrize("address", ["0.0.0.0", None])
def test_page_refuses_on_network_without_password(filled_db, bind, address):
    bind(address)
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    assert "[clinicians]" in at.error[0].value and "--server.address 127.0.0.1" in at.error[0].value
    assert not at.tabs  # nothing from the store is shown


def test_page_needs_a_clinician_account_on_network(filled_db, bind):
    bind("0.0.0.0")
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.secrets["clinicians"] = {"dr.wu": passwords.hash_password("s3cret-pass"), "dr.lee": passwords.hash_password("other-pass")}
    at.run()
    assert not at.tabs and "Log in" in _texts(at)
    at.text_input(key="review-account").input("dr.wu")
    at.text_input(key="review-password").input("other-pass")  # another clinician's password
    at.button[0].click().run()
    assert "Wrong account name or password." in [e.value for e in at.error] and not at.tabs
    at.text_input(key="review-password").input("s3cret-pass")
    at.button[0].click().run()
    assert not at.exception
    assert [t.label for t in at.tabs] == ["Review queue (3)", "Subjects (1)"]
    assert at.session_state["knee_cv_clinician"] == "dr.wu"
    assert "Log out (dr.wu)" in [b.label for b in at.sidebar.button]


def test_after_too_many_failures_even_the_right_password_is_refused(filled_db, bind):
    bind("0.0.0.0")
    hashed = passwords.hash_password("s3cret-pass")
    pages = []
    for _ in range(LIMITS["account"]):  # each guess from a new browser session
        at = AppTest.from_file(PAGE, default_timeout=60)
        at.secrets["clinicians"] = {"dr.wu": hashed}
        at.run()
        at.text_input(key="review-account").input("dr.wu")
        at.text_input(key="review-password").input("guess-guess")
        at.button[0].click().run()
        pages.append(at)
    at = pages[-1]
    at.text_input(key="review-password").input("s3cret-pass")
    at.button[0].click().run()
    assert not at.tabs and any("Too many failed logins" in e.value for e in at.error)


def test_page_uses_oidc_when_configured(filled_db, bind):
    bind("0.0.0.0")
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.secrets["auth"] = {
        "redirect_uri": "http://clinic.example/oauth2callback",
        "cookie_secret": "x" * 32,
        "client_id": "id",
        "client_secret": "secret",
        "server_metadata_url": "https://idp.example/.well-known/openid-configuration",
    }
    at.secrets["clinicians"] = {"dr.wu": passwords.hash_password("s3cret-pass")}
    at.user = {"is_logged_in": False}
    at.run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Log in"] and not at.tabs and not at.text_input
    at.user = {"is_logged_in": True, "email": "wu@clinic.example", "name": "Dr Wu"}
    at.run()
    assert not at.exception
    assert [t.label for t in at.tabs] == ["Review queue (3)", "Subjects (1)"]
    assert "Log out" in [b.label for b in at.sidebar.button]


def test_hash_password_prints_a_clinician_line_for_secrets_toml():
    """`knee-cv hash-password NAME` prints a TOML line that logs NAME in with the password typed."""
    import subprocess
    import sys

    from knee_cv.core.thresholds import tomllib

    done = subprocess.run(
        [sys.executable, "-m", "knee_cv.cli", "hash-password", 'dr "Wu"'],
        input="s3cret-pass\n" * 2,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    line = done.stdout.strip().splitlines()[-1]
    table = tomllib.loads(f"[clinicians]\n{line}\n")
    assert auth.accounts(table) == {'dr "Wu"': table["clinicians"]['dr "Wu"']}
    assert passwords.verify_password("s3cret-pass", table["clinicians"]['dr "Wu"'])
