"""The report in a real headless browser (Debian's chromium; skipped when it is absent).

The browser runs offline (every host name resolves to nothing), so the page must carry
everything it shows. A probe copy of the page gets a small script at the top of <head>
that records every error event (scripts, images) and, after load, whether every image
decoded; ``--dump-dom`` returns the record.
"""

import html
import io
import json
import re
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install chromium; .ci/run does)")

PROBE = """<script>
window.__errors = [];
window.addEventListener("error", e => window.__errors.push(String(e.message || e.type)), true);
window.addEventListener("load", () => {
  const images = Array.from(document.images);
  const out = document.createElement("pre");
  out.id = "probe";
  out.textContent = JSON.stringify({
    errors: window.__errors,
    images: images.length,
    decoded: images.filter(i => i.complete && i.naturalWidth > 0).length,
    sections: Array.from(document.querySelectorAll("section")).map(s => s.id),
    height: document.documentElement.scrollHeight,
  });
  document.body.appendChild(out);
});
</script>"""


def _chromium(*arguments, profile) -> subprocess.CompletedProcess:
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--disable-extensions", "--hide-scrollbars",
               "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={profile}",
               *arguments]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_report_loads_and_every_figure_decodes(synthetic_report, tmp_path):
    probe_page = tmp_path / "probe.html"
    page = synthetic_report.read_text(encoding="utf-8")
    probe_page.write_text(page.replace("<head>", "<head>" + PROBE, 1), encoding="utf-8")
    done = _chromium("--virtual-time-budget=15000", "--dump-dom", probe_page.as_uri(),
                     profile=tmp_path / "profile")
    found = re.search(r'<pre id="probe">(.*?)</pre>', done.stdout, re.DOTALL)
    assert found, f"no probe output; chromium exit {done.returncode}: {done.stderr[-2000:]}"
    probe = json.loads(html.unescape(found.group(1)))
    assert probe["errors"] == []
    expected = len(re.findall(r"<img ", page))
    assert probe["images"] == expected and expected >= 6
    assert probe["decoded"] == probe["images"]  # every embedded figure rendered
    assert probe["sections"][0] == "summary" and "thumbnails" in probe["sections"]
    assert probe["height"] > 3000


def test_report_screenshot_is_not_blank(synthetic_report, tmp_path):
    shot = tmp_path / "report.png"
    done = _chromium("--window-size=1200,2400", f"--screenshot={shot}", synthetic_report.as_uri(),
                     profile=tmp_path / "profile")
    assert shot.is_file(), f"no screenshot; chromium exit {done.returncode}: {done.stderr[-2000:]}"
    pixels = np.asarray(Image.open(io.BytesIO(shot.read_bytes())).convert("L"), np.float64)
    assert pixels.shape == (2400, 1200)
    assert pixels.std() > 20  # text, tables and charts, not an empty page
    assert (pixels < 128).mean() > 0.01  # a fair amount of dark ink
    rows_with_ink = (pixels < 200).any(axis=1).mean()
    assert rows_with_ink > 0.5  # content all the way down, not a short error message
