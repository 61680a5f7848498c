"""A refused scan upload keeps nothing: no scan and no new, empty dataset in the lists."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from annotation import services
from annotation.models import AnnotationSet, Scan
from tests.annotation.test_annotation_browser import tiff16


@pytest.mark.django_db
@pytest.mark.parametrize("via", ["page", "api"])
def test_a_refused_upload_leaves_no_empty_dataset(client, users, via):
    client.force_login(users["researcher"])
    broken = SimpleUploadedFile("broken.tif", tiff16(300, 300)[:3000])
    if via == "page":
        r = client.post("/annotation/upload/", {"image": broken, "dataset": "fresh", "name": "x"})
        assert r.status_code == 400 and "Upload refused" in r.content.decode()
    else:
        r = client.post("/api/annotation/scans/", {"image": broken, "dataset": "fresh", "name": "x"})
        assert r.status_code == 400, r.content
    assert not AnnotationSet.objects.filter(name="fresh").exists() and not Scan.objects.exists()
    assert "fresh" not in client.get("/annotation/").content.decode()


@pytest.mark.django_db
def test_an_upload_refused_into_an_existing_dataset_keeps_the_dataset(users):
    dataset = services.annotation_set_get_or_create(name="kept")
    services.scan_create(dataset=dataset, name="a", width=100, height=80, build_tiles=False)
    with pytest.raises(ValueError, match="already has a scan named 'a'"):
        services.scan_upload(dataset_name="kept", name="a", width=100, height=80, build_tiles=False)
    assert AnnotationSet.objects.filter(name="kept").exists() and Scan.objects.count() == 1
    scan = services.scan_upload(dataset_name="new one", name="b", width=100, height=80, build_tiles=False)
    assert scan.dataset.name == "new one"
