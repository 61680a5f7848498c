"""Server folders named through the web must lie inside SERVER_FOLDER_ROOTS."""
from __future__ import annotations

import pytest

from webapp.paths import FolderNotAllowed, server_folder


@pytest.fixture
def root(tmp_path, settings):
    allowed = tmp_path / "allowed"
    (allowed / "clean").mkdir(parents=True)
    (tmp_path / "secret").mkdir()
    settings.SERVER_FOLDER_ROOTS = [allowed]
    return allowed


def test_folders_inside_a_root_are_resolved(root):
    assert server_folder(str(root / "clean")) == str((root / "clean").resolve())
    assert server_folder(str(root)) == str(root.resolve())
    assert server_folder(str(root / "clean" / ".." / "clean")) == str((root / "clean").resolve())
    assert server_folder("   ") == ""  # nothing named: the caller says what is missing


@pytest.mark.parametrize("name", ["{root}/../secret", "{root}-sibling", "/etc", "{root}/link"])
def test_folders_outside_every_root_are_refused(root, name):
    (root / "link").symlink_to(root.parent / "secret")  # a link out of the root does not get out
    with pytest.raises(FolderNotAllowed, match="outside the folders this server lets the web read"):
        server_folder(name.format(root=root), what="Clean folder")


def test_relative_names_are_refused(root):
    with pytest.raises(FolderNotAllowed, match="absolute path"):
        server_folder("clean")


@pytest.mark.django_db
def test_the_training_page_refuses_a_folder_outside_the_roots(client, users, root):
    client.force_login(users["researcher"])
    r = client.post("/restoration/networks/", {"kind": "segmentation", "name": "m", "dataset_dir": "/etc"}, follow=True)
    assert b"outside the folders this server lets the web read" in r.content
