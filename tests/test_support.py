"""The test helpers themselves: what a missing resource or a stale build does to the tests that need it."""
from __future__ import annotations

import os
import time

import pytest

from tests import support


@pytest.mark.parametrize("strict, outcome", [(False, pytest.skip.Exception), (True, pytest.fail.Exception)])
def test_missing_public_data_skips_and_fails_under_strict(monkeypatch, tmp_path, strict, outcome):
    # given no public data where the tests look, in a normal and in a strict (CI) run
    monkeypatch.setattr(support, "STRICT", strict)
    monkeypatch.setattr(support, "PUBLIC_DATA", tmp_path / "nowhere")
    # then a test that needs it is skipped, or failed (caught here either way, so that a skip where a
    # failure is due fails this test instead of skipping it)
    with pytest.raises((pytest.skip.Exception, pytest.fail.Exception), match="data not found") as raised:
        support.require_public_data()
    assert raised.type is outcome


def test_public_data_is_its_manifest_folder(monkeypatch, tmp_path):
    (tmp_path / "manifest.json").write_text("{}")
    monkeypatch.setattr(support, "PUBLIC_DATA", tmp_path)
    assert support.require_public_data() == tmp_path


def test_a_frontend_build_older_than_its_sources_is_refused(tmp_path):
    # given a build stamped before any source file was written
    (tmp_path / ".built").write_text("then\n")
    os.utime(tmp_path / ".built", (0, 0))
    # then the browser tests refuse it, and also a folder never built
    with pytest.raises(pytest.fail.Exception, match="older than frontend/src"):
        support.frontend_build(tmp_path)
    with pytest.raises(pytest.fail.Exception, match="not built"):
        support.frontend_build(tmp_path / "none")
    # and take one stamped after every source
    later = time.time() + 3600
    os.utime(tmp_path / ".built", (later, later))
    assert support.frontend_build(tmp_path) == tmp_path
