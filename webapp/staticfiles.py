"""Static files storage: WhiteNoise's compressed storage, gzip only.

With the ``brotli`` package present (other tools pull it in), WhiteNoise also writes Brotli files at its best
quality, which takes about 40 s over the site's bundles (Plotly, Swagger UI, source maps) at the first
``collectstatic`` of a fresh clone, in the way of a quick first start. Gzip takes a few seconds.
"""
from __future__ import annotations

from whitenoise.compress import Compressor
from whitenoise.storage import CompressedStaticFilesStorage


class GzipStaticFilesStorage(CompressedStaticFilesStorage):
    def create_compressor(self, **kwargs) -> Compressor:
        return Compressor(use_brotli=False, **kwargs)
