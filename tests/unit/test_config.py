"""Configuration: production refuses to start without a real secret key and base URL; the development
key serves this computer only."""
import pytest

from app import create_app
from config import DEFAULT_SECRET_KEY, ProductionConfig, TestingConfig

PRODUCTION = {"SECRET_KEY": "k" * 64, "BASE_URL": "https://postil.example.org"}


@pytest.mark.parametrize("key", [None, "", DEFAULT_SECRET_KEY, "short"])
def test_production_refuses_missing_or_default_secret_key(key, monkeypatch):
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", key)
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set"):
        create_app(ProductionConfig)


def test_production_starts_with_a_real_secret_key(another_app):
    # Built through another_app, which puts the shared rate limiter back as the test session's app
    # expects: ProductionConfig switches limits on.
    app = another_app(ProductionConfig, **PRODUCTION)
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    assert app.config["HSTS"]


def test_environment_variables_are_read_only_in_config_py():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "app"
    offenders = [str(p) for p in root.rglob("*.py") if "os.environ" in p.read_text() or "getenv" in p.read_text()]
    assert offenders == []


@pytest.mark.parametrize("base_url", ["http://127.0.0.1:5000", "", "http://postil.example.org", "https://"])
def test_production_refuses_to_start_without_its_https_base_url(base_url, monkeypatch):
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "k" * 64)
    monkeypatch.setattr(ProductionConfig, "BASE_URL", base_url)
    with pytest.raises(RuntimeError, match="POSTIL_BASE_URL must be set in production to the https:// address"):
        create_app(ProductionConfig)


def _with_the_default_key(another_app):
    return another_app(TestingConfig, SECRET_KEY=DEFAULT_SECRET_KEY).test_client()


def test_the_default_key_serves_this_computer(another_app):
    client = _with_the_default_key(another_app)
    for host in ("localhost", "127.0.0.1:5000", "[::1]:5000"):
        assert client.get("/sign-in", headers={"Host": host}).status_code == 200, host
    assert client.get("/sign-in", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200


@pytest.mark.parametrize(("remote", "headers"), [
    ("203.0.113.9", {}),  # bound to 0.0.0.0 and reached from elsewhere
    ("192.168.1.20", {"Host": "192.168.1.5:5000"}),
    ("127.0.0.1", {"X-Forwarded-For": "203.0.113.9"}),  # behind a reverse proxy on the same machine
    ("127.0.0.1", {"Forwarded": "for=203.0.113.9"}),
    ("127.0.0.1", {"Host": "postil.example.org"}),  # a proxy passing the public host name on
])
def test_the_default_key_refuses_every_other_computer_and_says_what_to_set(another_app, remote, headers, caplog):
    client = _with_the_default_key(another_app)
    for method, path in (("GET", "/"), ("GET", "/sign-in"), ("POST", "/sign-in"), ("GET", "/api/articles")):
        response = client.open(path, method=method, headers=headers, environ_base={"REMOTE_ADDR": remote})
        assert response.status_code == 503, (method, path)
        assert "public development secret key" in response.get_data(as_text=True)
        assert "set-cookie" not in {name.lower() for name in response.headers.keys()}
    assert "export SECRET_KEY=" in caplog.text and "token_hex(32)" in caplog.text


def test_a_configured_key_serves_everyone(another_app):
    client = another_app(TestingConfig, SECRET_KEY="k" * 64).test_client()
    assert client.get("/sign-in", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 200
