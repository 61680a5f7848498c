"""Film formats and their physical frame sizes (long edge x short edge, millimetres)."""
from __future__ import annotations

#: key -> (label, long edge mm, short edge mm)
FILM_FORMATS: dict[str, tuple[str, float, float]] = {
    "35mm": ("35 mm still (36 x 24 frame, paper's 35 x 24 convention)", 35.0, 24.0),
    "35mm-academy": ("35 mm motion picture, Academy aperture", 22.0, 16.0),
    "35mm-full": ("35 mm motion picture, full aperture", 24.89, 18.67),
    "35mm-half": ("35 mm half frame", 24.0, 18.0),
    "16mm": ("16 mm", 10.26, 7.49),
    "super16": ("Super 16", 12.52, 7.41),
    "8mm": ("Regular 8", 4.8, 3.5),
    "super8": ("Super 8", 5.79, 4.01),
    "120-645": ("120 roll film 6 x 4.5", 56.0, 41.5),
    "120-6x6": ("120 roll film 6 x 6", 56.0, 56.0),
    "120-6x7": ("120 roll film 6 x 7", 69.5, 56.0),
    "4x5": ("4 x 5 inch sheet film", 120.0, 95.0),
}
DEFAULT_FILM_FORMAT = "35mm"


def frame_size_mm(film_format: str) -> tuple[float, float]:
    """``(long, short)`` edge of a known film format in millimetres."""
    try:
        _, long_mm, short_mm = FILM_FORMATS[film_format]
    except KeyError:
        raise ValueError(
            f"Unknown film format {film_format!r}; known: {', '.join(FILM_FORMATS)}, or give the frame size"
        ) from None
    return long_mm, short_mm

