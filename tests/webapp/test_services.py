"""In CI the suite must run on PostgreSQL and Redis; these tests say so plainly."""
from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection

from tests.support import STRICT


@pytest.mark.services
@pytest.mark.django_db
def test_database_is_postgresql_in_ci():
    if not STRICT:
        pytest.skip("Runs under FILMLAB_STRICT=1 (CI), where PostgreSQL is required")
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        assert "PostgreSQL" in cursor.fetchone()[0]


@pytest.mark.services
def test_broker_is_redis_in_ci():
    if not STRICT:
        pytest.skip("Runs under FILMLAB_STRICT=1 (CI), where Redis is required")
    import redis

    assert settings.CELERY_BROKER_URL.startswith("redis://")
    assert redis.Redis.from_url(settings.CELERY_BROKER_URL).ping() is True
