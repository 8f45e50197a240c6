"""Flask test-client fixtures: the real app on the test database, signed-in clients and API tokens."""
from __future__ import annotations

import re

import pytest

from service import org
from tests.conftest import DEMO_PASSWORD
from tests.support import user
from web import create_app


@pytest.fixture
def app(jd):
    flask_app = create_app(jiandu=jd, testing=True, secure_cookies=False)
    flask_app.extensions["login_limiter"].reset()
    return flask_app


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_token(client, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or \
        re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, username: str, password: str = DEMO_PASSWORD):
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    return client


@pytest.fixture
def login_as(app):
    """login_as("lijianguo") -> a fresh test client signed in as that demo user."""
    def _login(username: str):
        return login(app.test_client(), username)
    return _login


@pytest.fixture
def token_for(jd):
    """token_for("lijianguo") -> headers with a fresh bearer token for that user."""
    def _token(username: str) -> dict:
        with jd.db.write() as session:
            _, value = org.create_token(session, user(jd, username), "test")
        return {"Authorization": f"Bearer {value}"}
    return _token
