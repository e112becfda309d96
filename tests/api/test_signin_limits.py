"""Failed sign-ins and token requests are limited per address and per account; unknown and
known accounts cost the same hashing work and get the same answer."""


import pytest

from app.services import auth
from tests.conftest import ADMIN_PASSWORD, from_address, login


@pytest.fixture
def limited(app):
    """3 failures per account and 5 per address a minute."""
    app.config["DESIGNER_SIGNIN_LIMIT_ACCOUNT"] = "3 per minute"
    app.config["DESIGNER_SIGNIN_LIMIT_ADDRESS"] = "5 per minute"
    return app


def token(browser, client_id, secret):
    return browser.post("/oauth2/token", data={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret})


def assert_retry_after(response):
    assert response.status_code == 429
    # A minute's window, rounded up to whole seconds: the limiter keeps its reset time in
    # whole seconds, so the rest of the window can be up to one second past 60.
    assert 1 <= int(response.headers["Retry-After"]) <= 61


def test_the_fourth_wrong_secret_of_a_client_gets_429_with_retry_after(limited):
    client_id, secret = limited.config["TEST_CLIENT_CREDENTIALS"]
    attacker = from_address(limited, "10.0.0.1")
    for _ in range(3):
        assert token(attacker, client_id, "wrong").status_code == 401
    refused = token(attacker, client_id, "wrong")
    assert_retry_after(refused)
    body = refused.get_json()
    assert body["error"] == "slow_down"
    assert body["error_description"].startswith("Too many failed attempts. Try again in ")
    # the account is held from every address, even with the right secret, until the window ends
    assert token(from_address(limited, "10.0.0.2"), client_id, secret).status_code == 429


def test_successful_token_requests_are_never_counted(limited):
    client_id, secret = limited.config["TEST_CLIENT_CREDENTIALS"]
    caller = from_address(limited, "10.0.0.3")
    assert all(token(caller, client_id, secret).status_code == 200 for _ in range(7))


def test_the_address_limit_spans_accounts_and_spares_other_addresses(limited):
    attacker = from_address(limited, "10.0.0.4")
    for name in ("alice", "alice", "bob", "bob", "carol"):
        assert login(attacker, name, "guess-guess").status_code == 401
    refused = login(attacker, "dave", "guess-guess")  # a fresh account, the same address
    assert_retry_after(refused)
    page = refused.get_data(as_text=True)
    assert "Too many failed attempts. Try again in" in page and 'name="username"' in page
    assert refused.content_type.startswith("text/html")
    # the person at another address signs in: other people's failures do not block them
    assert login(from_address(limited, "10.0.0.5"), "admin", ADMIN_PASSWORD).status_code == 302


def test_the_account_limit_spans_addresses(limited):
    for address in ("10.0.1.1", "10.0.1.2", "10.0.1.3"):
        assert login(from_address(limited, address), "admin", "guess-guess").status_code == 401
    assert_retry_after(login(from_address(limited, "10.0.1.4"), "admin", "guess-guess"))
    assert login(from_address(limited, "10.0.1.5"), "vera", "guess-guess").status_code == 401


def test_the_login_page_itself_is_not_limited(limited):
    browser = from_address(limited, "10.0.2.1")
    assert all(browser.get("/login").status_code == 200 for _ in range(8))


class HashSpy:
    """Counts the password-hash work: which hash kinds were checked, how many were made."""

    def __init__(self, monkeypatch):
        self.checked, self.made = [], 0
        check, generate = auth.check_password_hash, auth.generate_password_hash

        def counting_check(stored, given):
            self.checked.append(stored.split("$", 1)[0])  # the method and its cost factors
            return check(stored, given)

        def counting_generate(*args, **kwargs):
            self.made += 1
            return generate(*args, **kwargs)

        monkeypatch.setattr(auth, "check_password_hash", counting_check)
        monkeypatch.setattr(auth, "generate_password_hash", counting_generate)

    def work(self, attempt) -> tuple[list[str], int, object]:
        self.checked, self.made = [], 0
        answer = attempt()
        return self.checked, self.made, answer


def test_unknown_and_known_accounts_cost_the_same_hashing(app, anonymous, monkeypatch):
    with app.app_context():
        auth.add_user("gone", "gone-password", "viewer")
        auth.set_user_active("gone", False)
        stopped, stopped_secret = auth.create_client("stopped", "viewer")
        auth.set_client_active("stopped", False)
        stopped_id = stopped.client_id
    client_id, _ = app.config["TEST_CLIENT_CREDENTIALS"]
    spy = HashSpy(monkeypatch)
    login(anonymous, "nobody", "guess-guess")  # the stand-in hash is made once per process

    logins = [spy.work(lambda n=n, p=p: login(anonymous, n, p)) for n, p in (
        ("nobody", "guess-guess"), ("admin", "guess-guess"), ("gone", "gone-password"))]
    tokens = [spy.work(lambda i=i, s=s: token(anonymous, i, s)) for i, s in (
        ("0" * 32, "guess"), (client_id, "guess"), (stopped_id, stopped_secret))]

    for checked, made, answer in logins + tokens:
        assert (len(checked), made) == (1, 0), answer.request.path
    assert len({checked[0] for checked, _, _ in logins + tokens}) == 1  # one kind of hash
    assert len({a.get_data() for _, _, a in tokens}) == 1  # one answer
    assert len({a.status_code for _, _, a in logins}) == 1
    assert all("Invalid user name or password." in a.get_data(as_text=True)
               for _, _, a in logins)
