"""A real S3-compatible server for the tests: moto's server mode on 127.0.0.1, with one bucket.

``FILMLAB_TEST_STORAGE=s3`` runs the whole suite's media on it (tests/conftest.py); tests/webapp/
test_storage_s3.py always runs a representative set there. The server speaks S3's HTTP protocol
(signed requests, presigned URLs, listings), so django-storages and boto3 talk to it as to AWS.
"""
from __future__ import annotations

import logging
import socket
import urllib.request

#: The credentials moto accepts (any); the region the bucket is made in.
ACCESS_KEY, SECRET_KEY, REGION = "testing", "testing", "us-east-1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class S3Server:
    """``ThreadedMotoServer`` on a free port of 127.0.0.1 and a bucket on it."""

    def __init__(self, bucket: str = "filmlab-test") -> None:
        self.bucket = bucket
        self.port = _free_port()
        self.server = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> S3Server:
        import boto3
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request in the tests' output
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.server.start()
        boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=ACCESS_KEY,
                     aws_secret_access_key=SECRET_KEY, region_name=REGION).create_bucket(Bucket=self.bucket)
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def env(self) -> dict[str, str]:
        """The ``S3_*`` variables that point the application (and a worker process) at this server."""
        return {"S3_BUCKET": self.bucket, "S3_ENDPOINT_URL": self.endpoint, "S3_REGION": REGION,
                "S3_ACCESS_KEY_ID": ACCESS_KEY, "S3_SECRET_ACCESS_KEY": SECRET_KEY}

    def storages(self) -> dict:
        """``settings.STORAGES`` with the default storage on this server (the static files as they are)."""
        from django.conf import settings

        from webapp.settings import s3_storage

        return {**settings.STORAGES, "default": s3_storage(self.env())}

    def keys(self, prefix: str = "") -> list[str]:
        """Every object name in the bucket under ``prefix`` (straight from the server, not the storage)."""
        import boto3

        client = boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=ACCESS_KEY,
                              aws_secret_access_key=SECRET_KEY, region_name=REGION)
        names: list[str] = []
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            names += [item["Key"] for item in page.get("Contents", [])]
        return sorted(names)


def fetch(url: str) -> tuple[int, bytes]:
    """GET an absolute URL (a signed S3 URL) from outside the site: ``(status, body)``."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (a test's own server)
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
