"""The documentation site, built strictly and served over HTTP, in headless Chromium: every
page loads, every image is there, nothing goes to the console as an error and nothing is
fetched from another host (the site works offline)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver") or (
    "/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None)  # fmt: skip
HAVE_MKDOCS = all(
    importlib.util.find_spec(m) is not None for m in ("mkdocs", "material", "mkdocstrings")
)
#: a site already built by `mkdocs build --strict` (CI builds it once before the tests)
BUILT = os.environ.get("VAEKIT_DOCS_SITE")

pytestmark = [
    pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="Chromium and chromedriver are not "
                       "installed (Debian: apt-get install chromium chromium-driver)"),
    pytest.mark.skipif(not HAVE_MKDOCS and not BUILT, reason="mkdocs, mkdocs-material or "
                       "mkdocstrings is not installed (pip install '.[docs]')"),
]  # fmt: skip

IMAGES_LOADED = """
const done = arguments[arguments.length - 1];
Promise.all([...document.images].map(i => i.complete ? null :
    new Promise(r => { i.onload = i.onerror = r; })))
  .then(() => done([...document.images]
    .filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.currentSrc || i.src)));
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if BUILT:
        return Path(BUILT).resolve()
    out = tmp_path_factory.mktemp("docs") / "site"
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)],
        cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )  # fmt: skip
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stderr[-6000:]}"
    return out


@pytest.fixture(scope="module")
def base_url(site: Path) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
         "--directory", str(site)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url, timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def driver() -> Iterator[object]:
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1000",
                 "--disable-dev-shm-usage"):  # fmt: skip
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(options=opts, service=webdriver.ChromeService(executable_path=DRIVER))
    d.set_script_timeout(30)
    try:
        yield d
    finally:
        d.quit()


def pages(site: Path) -> list[str]:
    """Every HTML page of the site, relative to its root."""
    return sorted(
        p.relative_to(site).as_posix()
        for p in site.rglob("*.html")
        if p.relative_to(site).parts[0] not in ("assets", "search")
    )


def test_the_site_has_the_generated_pages(site: Path) -> None:
    found = set(pages(site))
    packages = ("vaekit", "anomaly", "tabular", "recsys", "chem", "text", "eval")
    expected = ["index.html", "reference/cli.html", "benchmarks.html"]
    expected += [f"reference/api/{p}.html" for p in packages]
    assert [p for p in expected if p not in found] == []


def test_every_page_loads_with_its_images_and_no_console_error(
    site: Path, base_url: str, driver
) -> None:
    problems = []
    checked = 0
    for page in pages(site):
        driver.get(base_url + page)
        missing = driver.execute_async_script(IMAGES_LOADED)
        if missing:
            problems.append(f"{page}: images not loaded: {missing}")
        if not driver.find_elements("css selector", "article h1, .md-content h1"):
            problems.append(f"{page}: no heading (the page did not render)")
        errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        if errors:
            problems.append(f"{page}: console errors: {errors}")
        elsewhere = driver.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
            ".filter(n => !n.startsWith(arguments[0]) && !n.startsWith('data:'))",
            base_url,
        )
        if elsewhere:
            problems.append(f"{page}: fetched from another host: {elsewhere}")
        checked += 1
    assert checked > 0
    assert problems == []
