"""The report's headless rendering helper: broken images are found; Chromium (when installed) renders."""
from __future__ import annotations

import pytest

from analysis.report.screenshot import broken_images, find_chromium, main, render


def _page(tmp_path, img="fig.png"):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1], [1, 0])
    fig.savefig(tmp_path / "fig.png")
    plt.close(fig)
    page = tmp_path / "index.html"
    page.write_text(f'<html><body><h1>report</h1><img src="{img}"></body></html>', encoding="utf-8")
    return page


def test_broken_images_are_named(tmp_path):
    assert broken_images(_page(tmp_path)) == []
    assert broken_images(_page(tmp_path, "figures/missing.png")) == ["figures/missing.png"]
    assert main([str(tmp_path / "index.html"), str(tmp_path / "shot.png")]) == 1
    assert not (tmp_path / "shot.png").exists()


@pytest.mark.skipif(find_chromium() is None, reason="no Chromium installed (Debian package `chromium`)")
def test_chromium_renders_the_page(tmp_path):
    from PIL import Image

    out = render(_page(tmp_path), tmp_path / "shot.png", width=800, height=600)
    image = Image.open(out)
    assert image.size == (800, 600)
    assert len(set(image.convert("L").getdata())) > 2      # not a blank page
