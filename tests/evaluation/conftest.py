"""Fixtures of the leaderboard tests: media in a temporary folder, a small imported benchmark."""
from __future__ import annotations

import pytest

from tests.evaluation.leaderboard_support import write_pairs


@pytest.fixture
def private_media(settings, tmp_path):
    """Media under a temporary folder (not for tests that use a separate worker process)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def pairs_dir(tmp_path):
    root = tmp_path / "bench"
    pairs = write_pairs(root)
    return root, pairs


@pytest.fixture
def bench(pairs_dir, users):
    """A benchmark of three 64 x 48 RGB pairs, created by the admin."""
    from evaluation.services.benchmarks import benchmark_import

    root, pairs = pairs_dir
    benchmark = benchmark_import(directory=root, name="small", user=users["admin"])
    benchmark.pairs = pairs
    return benchmark


@pytest.fixture(autouse=True)
def fast_password_hashing(request):
    """The demo users are created for every test: hash their passwords cheaply (tests only).

    Does nothing when pytest-django is off (``-p no:django`` for the pure-core tests in ``core/``).
    """
    if request.config.pluginmanager.hasplugin("django"):
        settings = request.getfixturevalue("settings")
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
