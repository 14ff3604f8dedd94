"""Configuration: production refuses to start without a real secret key."""
import pytest

from app import create_app
from config import DEFAULT_SECRET_KEY, ProductionConfig


@pytest.mark.parametrize("key", [None, "", DEFAULT_SECRET_KEY, "short"])
def test_production_refuses_missing_or_default_secret_key(key, monkeypatch):
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", key)
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set"):
        create_app(ProductionConfig)


def test_production_starts_with_a_real_secret_key(another_app):
    # Built through another_app, which puts the shared rate limiter back as the test session's app
    # expects: ProductionConfig switches limits on.
    app = another_app(ProductionConfig, SECRET_KEY="k" * 64)
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    assert app.config["HSTS"]


def test_environment_variables_are_read_only_in_config_py():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "app"
    offenders = [str(p) for p in root.rglob("*.py") if "os.environ" in p.read_text() or "getenv" in p.read_text()]
    assert offenders == []
