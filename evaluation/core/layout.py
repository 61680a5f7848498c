"""Find the (damaged scan, expert restoration) pairs of a benchmark folder.

Accepted layouts of ``DIR`` (images are ``.png``, ``.tif``, ``.tiff``, ``.jpg`` or ``.jpeg``; pairs
are matched by file name without its extension; folder names are matched case-insensitively):

1. ``DIR/damaged/<name>.<ext>`` and ``DIR/restored/<name>.<ext>``: the layout of the paper's public
   dataset of 44 authentic damaged 4K scans and their expert restorations (doi
   10.6084/m9.figshare.21803304) once unpacked;
2. ``DIR/input/<name>.<ext>`` and ``DIR/gt/<name>.<ext>``;
3. ``DIR/damaged/<name>.<ext>`` and ``DIR/clean/<name>.<ext>``;
4. ``DIR/<name>_damaged.<ext>`` and ``DIR/<name>_restored.<ext>``, all in one folder.

A ``DIR`` that holds no image and exactly one sub-folder (an archive unpacked into a folder of its
own name) is looked into once. Anything else is refused with a ``LayoutError`` that says what
was found: two layouts at once (e.g. ``restored/`` and ``clean/`` beside ``damaged/``, or paired
folders and ``_damaged`` files), two folders for one role (``gt/`` and ``GT/``), a name with no
partner, two files of one name (``a.png`` and ``a.tif``), or no pairs at all. Nothing is guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from imaging.files import list_images
from imaging.io import IMAGE_SUFFIXES, ImageError

__all__ = ["FOLDER_LAYOUTS", "FLAT_SUFFIXES", "BenchmarkLayout", "BenchmarkPair", "LayoutError", "find_benchmark_pairs"]

FOLDER_LAYOUTS = (("damaged", "restored"), ("input", "gt"), ("damaged", "clean"))
"""(damaged folder, restored folder) pairs, in the order they are documented."""
FLAT_SUFFIXES = ("_damaged", "_restored")


class LayoutError(ValueError):
    """Raised when a folder is not one of the accepted benchmark layouts; says what was found."""


@dataclass(frozen=True)
class BenchmarkPair:
    """One benchmark image: its name and the paths of the damaged scan and the expert restoration."""

    name: str
    damaged: Path
    restored: Path


@dataclass(frozen=True)
class BenchmarkLayout:
    """The layout recognised (e.g. ``"damaged/restored"``), the folder it was found in, and the pairs."""

    kind: str
    root: Path
    pairs: tuple[BenchmarkPair, ...]


def _subfolders(root: Path) -> dict[str, list[Path]]:
    found: dict[str, list[Path]] = {}
    for path in sorted(root.iterdir()):
        if path.is_dir() and not path.name.startswith(".") and path.name != "__MACOSX":
            found.setdefault(path.name.lower(), []).append(path)
    return found


def _images(folder: Path) -> dict[str, Path]:
    try:
        return list_images(folder)
    except ImageError as exc:
        raise LayoutError(str(exc)) from exc


def _flat_pairs(root: Path) -> tuple[dict[str, dict[str, Path]], list[str]]:
    """``{"_damaged": {name: path}, "_restored": {...}}`` from ``<name>_damaged.<ext>`` files, and the others."""
    roles: dict[str, dict[str, Path]] = {suffix: {} for suffix in FLAT_SUFFIXES}
    others: list[str] = []
    for stem, path in _images(root).items():
        suffix = next((s for s in FLAT_SUFFIXES if stem.lower().endswith(s) and len(stem) > len(s)), None)
        if suffix is None:
            others.append(path.name)
        else:
            roles[suffix][stem[: -len(suffix)]] = path
    return roles, others


def _pair_up(kind: str, root: Path, damaged: dict[str, Path], restored: dict[str, Path]) -> BenchmarkLayout:
    only_damaged = sorted(set(damaged) - set(restored))
    only_restored = sorted(set(restored) - set(damaged))
    if only_damaged or only_restored:
        raise LayoutError(
            f"{root} ({kind} layout): names must pair up; damaged without a restoration: "
            f"{only_damaged or 'none'}; restorations without a damaged scan: {only_restored or 'none'}"
        )
    if not damaged:
        raise LayoutError(f"{root} ({kind} layout) holds no images ({', '.join(IMAGE_SUFFIXES)})")
    pairs = tuple(BenchmarkPair(name, damaged[name], restored[name]) for name in sorted(damaged))
    return BenchmarkLayout(kind=kind, root=root, pairs=pairs)


def find_benchmark_pairs(directory: str | Path) -> BenchmarkLayout:
    """Recognise the layout of ``directory`` and pair its images (see the module docstring).

    Parameters
    ----------
    directory : str or Path
        The benchmark folder.

    Returns
    -------
    BenchmarkLayout
        The layout's name, the folder it was found in, and the pairs sorted by name.

    Raises
    ------
    LayoutError
        Not a folder, no accepted layout, more than one layout, or names that do not pair up.
    """
    root = Path(directory)
    if not root.is_dir():
        raise LayoutError(f"{root} is not a folder")
    folders = _subfolders(root)
    doubled = sorted(name for name, paths in folders.items() if len(paths) > 1)
    if doubled:
        raise LayoutError(f"{root}: folder names differ only in case ({doubled}); keep one of each")
    matches = [(d, r) for d, r in FOLDER_LAYOUTS if d in folders and r in folders]
    flat, others = _flat_pairs(root)
    has_flat = any(flat.values())
    found = [f"{d}/ + {r}/" for d, r in matches] + (["<name>_damaged + <name>_restored files"] if has_flat else [])
    if len(found) > 1:
        raise LayoutError(f"{root} is ambiguous: it holds {' and '.join(found)}; keep exactly one layout")
    if matches:
        d, r = matches[0]
        return _pair_up(f"{d}/{r}", root, _images(folders[d][0]), _images(folders[r][0]))
    if has_flat:
        if others:
            raise LayoutError(f"{root}: {others} are neither <name>_damaged nor <name>_restored images")
        return _pair_up("_damaged/_restored", root, flat["_damaged"], flat["_restored"])
    roles = sorted({name for layout in FOLDER_LAYOUTS for name in layout} & set(folders))
    if roles:
        partners = sorted({r for d, r in FOLDER_LAYOUTS if d in roles} | {d for d, r in FOLDER_LAYOUTS if r in roles})
        raise LayoutError(f"{root} holds {', '.join(r + '/' for r in roles)} but not its partner "
                          f"({' or '.join(p + '/' for p in partners)})")
    if len(folders) == 1 and not _images(root):
        return find_benchmark_pairs(next(iter(folders.values()))[0])
    raise LayoutError(
        f"{root} is not a benchmark folder: expected damaged/ + restored/, input/ + gt/, damaged/ + clean/, "
        f"or <name>_damaged.<ext> + <name>_restored.<ext> files; found folders {sorted(folders) or 'none'}"
    )
