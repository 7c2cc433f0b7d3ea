"""Render the report headless and save what a reader sees, as PNG.

    .venv/bin/python -m analysis.report.screenshot work/report/index.html docs/report.png [--height 2200]
                     [--pages DIR]

Uses a local Chromium (Debian's ``chromium`` package: ``apt-get install chromium``; not a Python
dependency, so neither ``make run`` nor ``make test`` needs it). ``out`` gets the top of the page at a
1280-pixel-wide window; ``--pages DIR`` also writes the whole page cut into 1280 x 2400 slices
(``page_00.png`` ...) for reading every table and figure, and reports images that failed to load.
Chromium runs with no network and a throw-away profile.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = ["find_chromium", "render", "broken_images"]

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars")


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def render(page: Path, out: Path, *, width: int = 1280, height: int = 2200) -> Path:
    """Screenshot of ``page`` (a local HTML file) at ``width`` x ``height`` pixels into ``out``."""
    chromium = find_chromium()
    if chromium is None:
        raise RuntimeError("no Chromium on PATH: install Debian's `chromium` package to render the report")
    page, out = Path(page).resolve(), Path(out).resolve()
    if not page.is_file():
        raise FileNotFoundError(f"{page}: no report; run `dualcarbon report` first")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        proc = subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
                               f"--screenshot={out}", page.as_uri()], capture_output=True, text=True, timeout=300)
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(f"chromium failed (exit {proc.returncode}): {proc.stderr.strip()[-500:]}")
    return out


def broken_images(page: Path) -> list[str]:
    """``<img src>`` of the page that do not exist on disk (a local report has no remote images)."""
    import re

    page = Path(page)
    text = page.read_text(encoding="utf-8")
    return [src for src in re.findall(r'<img[^>]+src="([^"]+)"', text)
            if not src.startswith("data:") and not (page.parent / src).is_file()]


def _slices(page: Path, folder: Path, width: int = 1280, slice_height: int = 2400) -> list[Path]:
    from PIL import Image
    import numpy as np

    Image.MAX_IMAGE_PIXELS = None
    full = render(page, folder / "full.png", width=width, height=40000)
    image = Image.open(full)
    grey = np.asarray(image.convert("L"))
    rows = np.where((grey < 250).any(axis=1))[0]
    bottom = int(rows.max()) + 20 if rows.size else slice_height
    paths = []
    for i, top in enumerate(range(0, bottom, slice_height)):
        path = folder / f"page_{i:02d}.png"
        image.crop((0, top, width, min(top + slice_height, bottom))).save(path)
        paths.append(path)
    full.unlink()
    return paths


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m analysis.report.screenshot", description=__doc__.split("\n\n")[0])
    p.add_argument("page", type=Path, help="the report's index.html")
    p.add_argument("out", type=Path, help="PNG of the top of the page")
    p.add_argument("--height", type=int, default=2200, help="window height in pixels (default 2200)")
    p.add_argument("--pages", type=Path, metavar="DIR", help="also write the whole page as slices into DIR")
    args = p.parse_args(argv)
    try:
        broken = broken_images(args.page)
        if broken:
            print(f"{args.page}: {len(broken)} broken image(s): {', '.join(broken[:5])}", file=sys.stderr)
            return 1
        print(f"screenshot: {render(args.page, args.out, height=args.height)}")
        if args.pages:
            args.pages.mkdir(parents=True, exist_ok=True)
            print(f"pages: {len(_slices(args.page, args.pages))} slices in {args.pages}")
    except (RuntimeError, FileNotFoundError) as exc:
        print(f"screenshot: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
