"""Project-level guarantees: production settings are safe, migrations match the models."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.proxied_site import compose_environment

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args, **env_overrides):
    # A clean production environment: nothing inherited from the test process decides the result.
    inherited = {"DEBUG", "SECRET_KEY", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in inherited}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "a-production-grade-secret-key-that-is-long-and-random-0123456789abcdef",
    "DATABASE_URL": "postgres://scoreboard@127.0.0.1:5432/scoreboard",
}


def test_production_settings_pass_the_deploy_check_at_warning_level():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_docker_composes_environment_passes_the_deploy_check():
    # What `web` runs with, its ${VAR:-default}s at their defaults and only the secret ours.
    environment = compose_environment("web") | {"SECRET_KEY": PRODUCTION["SECRET_KEY"]}
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **environment)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("service", ["web", "worker", "beat"])
def test_every_variable_docker_compose_sets_is_one_the_settings_read(service):
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', (ROOT / "scoreboard" / "settings.py").read_text()))

    assert set(compose_environment(service)) - read == set()


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", DEBUG="false", DATABASE_URL=PRODUCTION["DATABASE_URL"])
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_production_refuses_sqlite():
    result = _manage("check", DEBUG="false", SECRET_KEY=PRODUCTION["SECRET_KEY"])
    assert result.returncode != 0
    assert "DATABASE_URL must point at PostgreSQL" in result.stderr


def test_production_cookies_are_secure_and_http_only():
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.CSRF_COOKIE_HTTPONLY,"
        " s.DATABASES['default']['CONN_HEALTH_CHECKS'])"
    )
    result = _manage("shell", "--no-imports", "-c", code, **PRODUCTION)
    assert result.stdout.split() == ["True"] * 5, result.stderr


@pytest.mark.django_db
def test_migrations_match_the_models():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def _contracts() -> list[dict]:
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]


def test_every_module_of_the_shared_base_is_held_by_the_layering_contract():
    # A new top-level module of scoreboard is base, so the contract must forbid it the apps; the
    # wiring (urls), the project's settings and the WSGI entry point are the only ones above.
    base = next(c for c in _contracts() if c["type"] == "forbidden")
    above = {"__init__", "urls", "settings", "wsgi"}
    modules = {p.stem for p in (ROOT / "scoreboard").glob("*.py")} | {
        p.name for p in (ROOT / "scoreboard").iterdir() if (p / "__init__.py").exists()
    }
    held = {name.removeprefix("scoreboard.") for name in base["source_modules"]}
    packages_above = {"exco", "search", "demo", "management", "migrations"}
    assert modules - above - packages_above == held


def test_the_apps_layering_holds():
    # The contracts in pyproject.toml, as `make lint` checks them: an import pointing back up fails.
    linted = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert linted.returncode == 0, linted.stdout[-3000:]
    assert "Contracts: 2 kept, 0 broken." in linted.stdout


@pytest.mark.parametrize("weak", ["changeme", "x" * 60, "django-insecure-" + "abcdefghij" * 5])
def test_production_refuses_to_start_with_a_weak_secret_key(weak):
    result = _manage("check", **{**PRODUCTION, "SECRET_KEY": weak})

    assert result.returncode != 0
    assert "SECRET_KEY is too weak for production" in result.stderr
