"""Production settings and the README's scale-out recipe (scripts/serve, scripts/scale-out-check)."""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
import uuid

import pytest

from tests.support import ROOT, missing

#: What the README's production recipe sets.
PRODUCTION_ENV = {"DEBUG": "0", "HTTPS": "1", "PROXY_SSL_HEADER": "X-Forwarded-Proto",
                  "ALLOWED_HOSTS": "lab.example.org", "CSRF_TRUSTED_ORIGINS": "https://lab.example.org"}


def production_env(**extra: str) -> dict:
    """Our environment outside pytest (so the settings' TESTING is off) with the production variables."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTEST_VERSION", "FILMLAB_TEST_RUN", "SECRET_KEY",
                                                          "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    return {**env, **PRODUCTION_ENV, "SECRET_KEY": secrets.token_urlsafe(50), **extra}


def manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=180)


def test_check_deploy_passes_with_the_production_settings():
    # it passes, with no warning of Django's security checks, nor of drf-spectacular's schema checks, which
    # --deploy runs too (W001/W002: a schema error or warning; tests/webapp/test_openapi.py)
    result = manage("check", "--deploy", env=production_env())
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "security." not in output, output
    assert "drf_spectacular." not in output, output
    assert "ERRORS" not in output


def test_check_deploy_warns_without_https():
    # given DEBUG off but no HTTPS=1 (the plain-HTTP one-command start): the security check says what is missing
    result = manage("check", "--deploy", env=production_env(HTTPS="0"))
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr + result.stdout, warning


def _scratch_database(settings_dict: dict):
    import psycopg

    params = {"host": settings_dict.get("HOST") or "127.0.0.1", "port": settings_dict.get("PORT") or 5432,
              "user": settings_dict.get("USER") or "postgres", "password": settings_dict.get("PASSWORD") or None}
    name = f"filmlab_scaleout_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    auth = params["user"] + (f":{params['password']}" if params["password"] else "")
    return name, params, f"postgres://{auth}@{params['host']}:{params['port']}/{name}"


@pytest.mark.worker
@pytest.mark.services
def test_scale_out_recipe_runs_a_job_on_postgresql_and_redis():
    """scripts/scale-out-check: the production server and two workers (cpu, gpu) on a fresh PostgreSQL database
    and a Redis database of their own, a job per queue through the API, and a clean stop."""
    import psycopg
    from django.conf import settings

    engine, broker = settings.DATABASES["default"]["ENGINE"], settings.CELERY_BROKER_URL
    if "postgresql" not in engine or not broker.startswith("redis://"):
        missing(f"the scale-out check needs PostgreSQL and Redis (engine {engine}, broker {broker})")
    # a Redis database of its own, so that the test run's workers never take its jobs
    head, _, db = broker.rstrip("/").rpartition("/")
    own_broker = f"{head}/{13 if db != '13' else 12}" if db.isdigit() else broker.rstrip("/") + "/13"
    name, params, url = _scratch_database(settings.DATABASES["default"])
    try:
        result = subprocess.run([sys.executable, "scripts/scale-out-check", "--timeout", "400"], cwd=ROOT,
                                env={**os.environ, "DATABASE_URL": url, "CELERY_BROKER_URL": own_broker},
                                capture_output=True, text=True, timeout=460)
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(result.stdout[-6000:])
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "succeeded on cpu@" in result.stdout and "succeeded on gpu@" in result.stdout
