"""A small image-pair set made from scikit-image's bundled sample photographs (demo and tests).

The photographs get film grain (they stand for expert restorations of film
scans) and then "authentic" damage. **That damage is a stand-in**: it is
rendered by a damage method (in the demo, the project's own renderer with
other seeds), not scanned from film, so a survey over this set says nothing
about real damage. A real study uses a benchmark of authentic damaged scans
with expert restorations in the same layout (see :mod:`surveys.core.sources`).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from imaging.io import write_image
from synthesis.core.grain import add_film_grain

from .methods import DamageMethod
from .plan import item_seed
from .sources import ImagePair, find_image_pairs

__all__ = ["SAMPLE_IMAGES", "sample_image", "write_sample_pair_set"]

#: RGB photographs bundled with scikit-image (no download).
SAMPLE_IMAGES = ("astronaut", "coffee", "chelsea", "rocket")
POLARITIES = ("negative", "positive")


def sample_image(name: str) -> np.ndarray:
    """The scikit-image sample ``name`` as an RGB ``uint8`` array."""
    from skimage import data

    if name not in SAMPLE_IMAGES:
        raise ValueError(f"unknown sample image {name!r}; choose from {', '.join(SAMPLE_IMAGES)}")
    image = np.asarray(getattr(data, name)())
    return image[..., :3].astype(np.uint8)


def write_sample_pair_set(out_dir: str | os.PathLike, *, damage: DamageMethod, seed: int, um_per_px: float,
                          names: tuple[str, ...] = SAMPLE_IMAGES, grain: float = 0.03) -> list[ImagePair]:
    """Write ``damaged/``, ``restored/`` and ``polarity.json`` for ``names`` into ``out_dir``.

    Image ``i`` gets negative damage when ``i`` is even and positive damage
    otherwise; ``damage`` is called with the pair's seed. Same arguments, same files.
    """
    out = Path(out_dir)
    (out / "damaged").mkdir(parents=True, exist_ok=True)
    (out / "restored").mkdir(parents=True, exist_ok=True)
    polarities = {}
    for i, name in enumerate(names):
        restored = add_film_grain(sample_image(name), strength=grain, seed=item_seed(seed, 2 * i))
        polarity = POLARITIES[i % 2]
        damaged, _ = damage(restored, seed=item_seed(seed, 2 * i + 1), polarity=polarity, um_per_px=um_per_px)
        write_image(out / "restored" / f"{name}.png", restored)
        write_image(out / "damaged" / f"{name}.png", damaged)
        polarities[name] = polarity
    (out / "polarity.json").write_text(json.dumps(polarities, indent=1, sort_keys=True) + "\n")
    return find_image_pairs(out)
