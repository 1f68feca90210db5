"""Access to the clinician review page: password hashes, the local rule, and the page's gate (AppTest)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit import config
from streamlit.testing.v1 import AppTest
from test_store import sample_analysis

from knee_cv.app import auth
from knee_cv.store import sessions as store

PAGE = str(Path(__file__).resolve().parents[2] / "knee_cv" / "app" / "pages" / "review.py")


def test_hash_and_verify():
    stored = auth.hash_password("correct horse")
    assert stored.startswith("scrypt$") and "correct horse" not in stored
    assert auth.verify_password("correct horse", stored)
    assert not auth.verify_password("correct hors", stored)
    assert auth.hash_password("correct horse") != stored  # salted
    assert not auth.verify_password("correct horse", "scrypt$broken")
    assert not auth.verify_password("correct horse", "md5$1$2$3$abc$def")
    with pytest.raises(ValueError, match="at least 8"):
        auth.hash_password("short")


@pytest.mark.parametrize("address,local", [
    ("127.0.0.1", True), ("localhost", True), ("::1", True), ("[::1]", True),
    ("0.0.0.0", False), ("", False), (None, False), ("192.168.1.20", False), ("::", False),
])
def test_local_addresses(address, local):
    assert auth.is_local_address(address) is local


def test_access_mode():
    assert auth.access_mode("127.0.0.1", {}) == "open"
    assert auth.access_mode("0.0.0.0", {}) == "refuse"
    assert auth.access_mode(None, {}) == "refuse"
    assert auth.access_mode("0.0.0.0", {"review_password_hash": "scrypt$..."}) == "password"
    assert auth.access_mode("0.0.0.0", {"review_password_hash": "  "}) == "refuse"
    assert auth.access_mode("0.0.0.0", {"auth": {"client_id": "x"}, "review_password_hash": "h"}) == "oidc"


@pytest.fixture
def filled_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'knee.sqlite3'}"
    store.save_analysis(sample_analysis(), "P001", db_url=url)
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
    assert at.sidebar.text_input(key="knee_cv_local_reviewer").value  # prefilled user name


@pytest.mark.parametrize("address", ["0.0.0.0", None])
def test_page_refuses_on_network_without_password(filled_db, bind, address):
    bind(address)
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    assert "review_password_hash" in at.error[0].value and "--server.address 127.0.0.1" in at.error[0].value
    assert not at.tabs  # nothing from the store is shown


def test_page_needs_password_on_network(filled_db, bind):
    bind("0.0.0.0")
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.secrets["review_password_hash"] = auth.hash_password("s3cret-pass")
    at.run()
    assert not at.tabs and "Log in" in _texts(at)
    at.text_input[0].input("Dr Wu")
    at.text_input[1].input("wrong-pass")
    at.button[0].click().run()
    assert "Wrong password." in [e.value for e in at.error] and not at.tabs
    at.text_input[1].input("s3cret-pass")
    at.button[0].click().run()
    assert not at.exception
    assert [t.label for t in at.tabs] == ["Review queue (3)", "Subjects (1)"]
    assert at.session_state["knee_cv_reviewer"] == "Dr Wu"


def test_page_uses_oidc_when_configured(filled_db, bind):
    bind("0.0.0.0")
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.secrets["auth"] = {"redirect_uri": "http://clinic.example/oauth2callback", "cookie_secret": "x" * 32,
                          "client_id": "id", "client_secret": "secret",
                          "server_metadata_url": "https://idp.example/.well-known/openid-configuration"}
    at.secrets["review_password_hash"] = auth.hash_password("s3cret-pass")
    at.user = {"is_logged_in": False}
    at.run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Log in"] and not at.tabs and not at.text_input
    at.user = {"is_logged_in": True, "email": "wu@clinic.example", "name": "Dr Wu"}
    at.run()
    assert not at.exception
    assert [t.label for t in at.tabs] == ["Review queue (3)", "Subjects (1)"]
    assert "Log out" in [b.label for b in at.sidebar.button]
