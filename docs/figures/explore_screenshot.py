"""Make docs/figures/explore.png: the explore page of a 20-D MNIST VAE in headless Chromium.

Usage: python docs/figures/explore_screenshot.py RUN  (needs chromium, chromedriver, selenium)
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import uvicorn
from PIL import Image
from selenium import webdriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from vaekit.explore import ExploreSession, create_app
from vaekit.explore.server import listening_socket


def main(run: str) -> None:
    sock = listening_socket()
    server = uvicorn.Server(uvicorn.Config(create_app(ExploreSession(run)), log_level="warning"))
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    opts = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--window-size=1560,780", "--hide-scrollbars"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(options=opts)
    try:
        driver.get(f"http://127.0.0.1:{sock.getsockname()[1]}/")
        wait = WebDriverWait(driver, 60)
        wait.until(lambda d: d.find_elements(By.CLASS_NAME, "zslider"))
        cx, cy = driver.execute_script("return toCanvas(...meta.points[7])")
        canvas = driver.find_element(By.ID, "map")
        ActionChains(driver).move_to_element_with_offset(canvas, int(cx) - 260, int(cy) - 260) \
            .click().perform()  # fmt: skip
        wait.until(lambda d: d.find_element(By.ID, "example-recon").get_attribute("data-index"))
        ActionChains(driver).move_to_element_with_offset(canvas, 80, -60).perform()
        time.sleep(1.0)
        out = Path(__file__).with_name("explore.png")
        driver.save_screenshot(str(out))
        Image.open(out).convert("RGB").save(out, optimize=True)
        print(out, out.stat().st_size)
    finally:
        driver.quit()
        server.should_exit = True


if __name__ == "__main__":
    main(sys.argv[1])
