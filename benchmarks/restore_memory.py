"""Peak memory of a full-resolution restoration, from 2K to 8K, against one float copy of the scan.

Each size runs in a child process. The child makes a synthetic 16-bit RGB scan
(gradient + grain, white specks in 10% of the tiles), loads the default method's
weights, resets the kernel's peak-RSS counter (``/proc/self/clear_refs``), runs the
default method (damage U-Net over 256 x 256 tiles, then grain-preserving
inpainting) and reads the new peak (``VmHWM``). The baseline, measured the same way
in the same child, is the naive first step of any whole-image approach: one float32
copy of the scan. Printed per size: the extra peak memory of the restoration, that
ratio against the float copy, and the extra bytes per pixel; then a straight-line
fit over the sizes: a fixed part (weights, one batch of tiles) plus bytes per pixel
(the outputs: blended probabilities, the mask, the restored scan), set against the
bytes per pixel of the float copy.

Linux only (``/proc``). Usage::

    .venv/bin/python benchmarks/restore_memory.py [--sizes 2048x1408,4944x3396,8192x5632] [--threads 2]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))


def _rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def _extra_peak_mib(fn) -> tuple[float, float, object]:
    """(extra peak MiB over the RSS before, seconds, result) of ``fn()``."""
    _reset_peak()
    before = _rss_kib("VmRSS")
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    return (_rss_kib("VmHWM") - before) / 1024, seconds, result


def child(width: int, height: int, threads: int) -> dict:
    import numpy as np
    import torch
    from restore_speed import synthetic_scan

    from restoration.core.methods import DEFAULT_METHOD, get_method

    torch.set_num_threads(threads)
    image, _ = synthetic_scan(height, width, damaged_share=0.1, seed=0)
    method = get_method(DEFAULT_METHOD)
    method.run(image[:512, :512], device="cpu")  # load the weights and warm up outside the measurement
    naive, _, copy = _extra_peak_mib(lambda: image.astype(np.float32) / np.float32(65535))
    del copy
    extra, seconds, result = _extra_peak_mib(lambda: method.run(image, device="cpu"))
    return {"width": width, "height": height, "input_mib": image.nbytes / 2**20, "float_copy_mib": naive,
            "restore_extra_mib": extra, "seconds": seconds, "damaged_share": float((result.mask > 0).mean())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2048x1408,4944x3396,8192x5632")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        w, h = map(int, args.child.split("x"))
        print(json.dumps(child(w, h, args.threads)))
        return
    if not Path("/proc/self/clear_refs").exists():
        sys.exit("needs Linux /proc (peak RSS reset)")
    print(f"{'size':>11} {'input MiB':>10} {'float copy':>11} {'restore +MiB':>13} {'ratio':>6} "
          f"{'B/px':>6} {'s':>6}")
    # a fixed mmap threshold: large buffers are mapped afresh and unmapped when freed, so that the
    # resident-set peak measures what is live rather than what glibc kept from earlier frees
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "131072", "MALLOC_TRIM_THRESHOLD_": "131072"}
    rows = []
    for size in args.sizes.split(","):
        out = subprocess.run([sys.executable, __file__, "--child", size, "--threads", str(args.threads)],
                             check=True, capture_output=True, text=True, env=env).stdout
        r = json.loads(out.strip().splitlines()[-1])
        rows.append(r)
        px = r["width"] * r["height"]
        print(f"{size:>11} {r['input_mib']:10.0f} {r['float_copy_mib']:11.0f} {r['restore_extra_mib']:13.0f} "
              f"{r['restore_extra_mib'] / r['float_copy_mib']:6.2f} {r['restore_extra_mib'] * 2**20 / px:6.1f} "
              f"{r['seconds']:6.1f}", flush=True)
    if len(rows) >= 2:  # extra = fixed + slope * pixels, least squares
        import numpy as np

        px = np.array([r["width"] * r["height"] for r in rows], float)
        extra = np.array([r["restore_extra_mib"] * 2**20 for r in rows])
        slope, fixed = np.polyfit(px, extra, 1)
        copy = np.array([r["float_copy_mib"] * 2**20 for r in rows]) / px
        print(f"\nfit: {fixed / 2**20:.0f} MiB fixed (weights, one batch of tiles) + {slope:.1f} bytes per pixel; "
              f"one float32 copy of the scan is {copy.mean():.1f} bytes per pixel -> "
              f"slope / float copy = {slope / copy.mean():.2f}")


if __name__ == "__main__":
    main()
