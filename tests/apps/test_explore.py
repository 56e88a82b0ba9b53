"""The explore page: its API through the ASGI test client, and the page in headless Chromium."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import vaekit
from conftest import train_small_run

pytest.importorskip("starlette", reason="the explore extra (starlette) is not installed")
from starlette.testclient import TestClient  # noqa: E402

from vaekit.explore import ExploreSession, create_app  # noqa: E402
from vaekit.explore.server import listening_socket  # noqa: E402


@pytest.fixture(scope="module")
def runs(mnist_subset: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("explore-runs")
    return {"vae": train_small_run(mnist_subset, root / "vae", latent_dim=4),
            "cvae": train_small_run(mnist_subset, root / "cvae", latent_dim=2,
                                    name="cvae")}  # fmt: skip


@pytest.fixture(scope="module")
def client(runs) -> TestClient:
    return TestClient(create_app(ExploreSession(runs["vae"])))


def test_meta_and_map(client):
    meta = client.get("/api/meta").json()
    assert meta["kind"] == "image" and meta["latent_dim"] == 4 and meta["model"] == "vae"
    assert len(meta["points"]) == len(meta["labels"]) == 200  # the test split
    assert sorted(meta["order"]) == [0, 1, 2, 3]
    kl = np.array(meta["kl"])
    assert np.all(np.diff(kl[meta["order"]]) <= 0)  # sliders ordered by KL
    axes = np.array(meta["axes"])  # orthonormal PCA axes: the map inverts to latent points
    np.testing.assert_allclose(axes @ axes.T, np.eye(2), atol=1e-6)
    means = np.array(meta["means"])
    xy = (means - np.array(meta["origin"])) @ axes.T
    np.testing.assert_allclose(xy, np.array(meta["points"]), atol=1e-3)
    page = client.get("/")
    assert page.status_code == 200 and "<canvas id=\"map\"" in page.text
    assert "http" not in client.get("/app.js").text.replace("http://", "")  # no CDN


def test_decode_png_shape_and_example(client):
    import io

    from PIL import Image

    r = client.post("/api/decode.png", json={"z": [0.0, 0.5, -1.0, 2.0]})
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    img = Image.open(io.BytesIO(r.content))
    assert img.size == (28, 28)
    other = client.post("/api/decode.png", json={"z": [3.0, -2.0, 1.0, 0.0]}).content
    assert other != r.content  # the decoder answers the point
    ex = client.get("/api/example/3").json()
    assert ex["index"] == 3 and len(ex["z"]) == 4
    assert ex["input"].startswith("data:image/png;base64,")
    assert ex["reconstruction"].startswith("data:image/png;base64,")


def test_samples_are_seeded_and_interpolation_ends_at_the_examples(client, runs):
    a = client.post("/api/samples", json={"n": 5, "seed": 7}).json()["outputs"]
    b = client.post("/api/samples", json={"n": 5, "seed": 7}).json()["outputs"]
    c = client.post("/api/samples", json={"n": 5, "seed": 8}).json()["outputs"]
    assert len(a) == 5 and a == b and a != c
    path = client.post("/api/interpolate", json={"a": 0, "b": 1, "steps": 6}).json()["outputs"]
    session = ExploreSession(runs["vae"])
    means = session.meta()["means"]
    first = session.decode(means[0])["output"]
    assert len(path) == 6 and path[0] == first


@pytest.mark.parametrize("path,body,message", [
    ("/api/decode.png", {"z": [0.0, 1.0]}, "this model's latent has 4"),
    ("/api/decode.png", {"z": [0.0, float("nan"), 0.0, 0.0]}, "NaN"),
    ("/api/decode.png", {"z": "zeros"}, "list of 4 numbers"),
    ("/api/decode", {"z": [1e9, 0, 0, 0]}, "within"),
    ("/api/samples", {"n": 10**6}, "n must be an integer in [1, 64]"),
    ("/api/samples", {"n": 2, "label": 3}, "takes no class"),
    ("/api/interpolate", {"a": 0, "b": 99999}, "example index"),
    ("/api/interpolate", {"a": 0, "b": 1, "steps": 1000}, "steps"),
])  # fmt: skip
def test_bad_requests_get_400_with_a_message(client, path, body, message):
    import json

    r = client.post(path, content=json.dumps(body, allow_nan=True),
                    headers={"Content-Type": "application/json"})  # fmt: skip
    assert r.status_code == 400
    assert message in r.json()["error"]
    assert client.get("/api/meta").status_code == 200  # still serving


def test_malformed_json_and_bad_paths(client):
    r = client.post("/api/decode", content=b"{not json",
                    headers={"Content-Type": "application/json"})  # fmt: skip
    assert r.status_code == 400 and "not valid JSON" in r.json()["error"]
    r = client.post("/api/decode", json=[1, 2])
    assert r.status_code == 400 and "JSON object" in r.json()["error"]
    assert client.get("/api/example/abc").status_code == 400
    r = client.get("/api/example/-1")  # it said "must be an integer, got '-1'"
    assert r.status_code == 400 and "must be an integer in [0, " in r.json()["error"]
    assert "got -1" in r.json()["error"]
    assert client.get("/api/example/..%2Fconfig.yaml").status_code in (400, 404)


def test_cvae_classes(runs):
    c = TestClient(create_app(ExploreSession(runs["cvae"])))
    meta = c.get("/api/meta").json()
    assert meta["conditional"] and meta["projection"] == "the latent dimensions"
    ok = c.post("/api/samples", json={"n": 3, "seed": 0, "label": 9})
    assert ok.status_code == 200 and len(ok.json()["outputs"]) == 3
    bad = c.post("/api/samples", json={"n": 3, "label": 10})
    assert bad.status_code == 400 and "unknown class 10" in bad.json()["error"]
    sevens = c.post("/api/decode.png", json={"z": [0.0, 0.0], "label": 7}).content
    ones = c.post("/api/decode.png", json={"z": [0.0, 0.0], "label": 1}).content
    assert sevens != ones


# ---------------------------------------------------------------- a real browser
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver") or (
    "/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None)  # fmt: skip


@pytest.mark.e2e  # a browser
@pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="Chromium and chromedriver are not "
                    "installed (Debian: apt-get install chromium chromium-driver)")  # fmt: skip
def test_page_in_headless_chromium(runs, tmp_path):
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    import uvicorn
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    sock = listening_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(ExploreSession(runs["vae"])),
                                           log_level="warning"))  # fmt: skip
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1100",
                 "--disable-dev-shm-usage"):  # fmt: skip
        opts.add_argument(flag)
    service = webdriver.ChromeService(executable_path=DRIVER)
    driver = webdriver.Chrome(options=opts, service=service)
    try:
        for _ in range(100):
            if server.started:
                break
            time.sleep(0.05)
        driver.get(f"http://127.0.0.1:{port}/")
        wait = WebDriverWait(driver, 30)
        version = lambda: driver.find_element(By.ID, "decoded").get_attribute("data-version")  # noqa: E731
        wait.until(lambda d: len(d.find_elements(By.CLASS_NAME, "zslider")) == 4 and version())
        first = version()
        src0 = driver.find_element(By.ID, "decoded").get_attribute("src")
        slider = driver.find_elements(By.CLASS_NAME, "zslider")[0]
        ActionChains(driver).click_and_hold(slider).move_by_offset(60, 0).release().perform()
        wait.until(lambda d: version() != first)
        after_slider = driver.find_element(By.ID, "decoded").get_attribute("src")
        assert after_slider != src0
        canvas = driver.find_element(By.ID, "map")
        v = version()
        ActionChains(driver).move_to_element_with_offset(canvas, -150, -150).click_and_hold() \
            .move_by_offset(200, 180).release().perform()  # fmt: skip
        wait.until(lambda d: version() != v)
        # click an example: its reconstruction appears
        cx, cy = driver.execute_script("return toCanvas(...meta.points[5])")
        ActionChains(driver).move_to_element_with_offset(canvas, int(cx) - 260, int(cy) - 260) \
            .click().perform()  # fmt: skip
        wait.until(lambda d: d.find_element(By.ID, "example-recon").get_attribute("data-index"))
        recon = driver.find_element(By.ID, "example-recon").get_attribute("src")
        assert recon.startswith("data:image/png;base64,")
        assert driver.find_element(By.ID, "example-name").text.startswith("#")
        assert driver.find_element(By.ID, "error").text == ""
        driver.save_screenshot(str(tmp_path / "explore.png"))
        assert (tmp_path / "explore.png").stat().st_size > 10_000
    finally:
        driver.quit()
        server.should_exit = True
        thread.join(timeout=10)


def test_class_to_class_path(client):
    r = client.post("/api/interpolate", json={"a": {"class": 1}, "b": {"class": 7}, "steps": 4})
    assert r.status_code == 200 and len(r.json()["outputs"]) == 4
    bad = client.post("/api/interpolate", json={"a": {"class": 42}, "b": 0})
    assert bad.status_code == 400 and "unknown class 42" in bad.json()["error"]


def test_table_run_decodes_rows_in_data_units_with_column_names(tmp_path):
    rng = np.random.default_rng(0)
    f = rng.normal(size=(300, 1))
    x = np.hstack([100 + 10 * f, -5 + 0.1 * f, f ** 2, rng.normal(size=(300, 1))])
    path = tmp_path / "t.csv"
    path.write_text("height,weight,area,noise\n" + "\n".join(",".join(f"{v:.5f}" for v in r)
                                                             for r in x) + "\n")  # fmt: skip
    cfg = vaekit.Config()
    cfg.data.dataset = str(path)
    cfg.model.hidden = [16]
    cfg.model.latent_dim = 2
    cfg.train.epochs = 2
    cfg.out = str(tmp_path / "run")
    c = TestClient(create_app(ExploreSession(vaekit.fit(cfg, quiet=True))))
    meta = c.get("/api/meta").json()
    assert meta["kind"] == "table" and meta["columns"] == ["height", "weight", "area", "noise"]
    row = c.post("/api/decode", json={"z": [0.0, 0.0]}).json()["output"]
    assert len(row) == 4 and 80 < row[0] < 120 and -6 < row[1] < -4  # the data's units
    assert c.post("/api/decode.png", json={"z": [0.0, 0.0]}).status_code == 400
