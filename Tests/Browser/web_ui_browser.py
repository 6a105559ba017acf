#!/usr/bin/env python3
"""Drives Cicada's web UI in Debian's chromium (headless, through chromium-driver and Selenium), as a
person would: fills the start form, starts the run, watches the charts gain points, changes the user
count and sees the target's open connections follow, skips a stage, stops, and downloads the CSV.
WebUIBrowserTests runs it; screenshots go to ARTIFACTS.

    python web_ui_browser.py WEB_UI_URL TARGET_BASE_URL ARTIFACTS
    python web_ui_browser.py --seed WEB_UI_URL ARTIFACTS

TARGET_BASE_URL is the tests' fault server, whose /connections says how many connections it holds.
With --seed, the page is `cicada demo --web`'s: the seed's suite against the demo target, whose four
stages the form holds; the script starts it, watches the four stages pass and downloads the HTML report.
Exits 0 and prints "browser: all steps passed", or exits 1 naming the step.
"""
import os
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

seed = sys.argv[1] == "--seed"
if seed:
    url, target, artifacts = sys.argv[2], None, sys.argv[3]
else:
    url, target, artifacts = sys.argv[1], sys.argv[2].rstrip("/"), sys.argv[3]
downloads = os.path.join(artifacts, "downloads")
os.makedirs(downloads, exist_ok=True)

options = Options()
options.binary_location = "/usr/bin/chromium"
for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,2400", "--disable-extensions",
             "--disable-background-networking", "--disable-sync", "--no-first-run"):
    options.add_argument(flag)
options.add_experimental_option("prefs", {"download.default_directory": downloads, "download.prompt_for_download": False})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def fail(step, detail=""):
    driver.save_screenshot(os.path.join(artifacts, "failed.png"))
    print(f"browser: {step}: {detail}")
    driver.quit()
    sys.exit(1)


def until(step, condition, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if condition():
                return
        except Exception:  # an element not there yet
            pass
        time.sleep(0.2)
    fail(step, "not within %d s" % timeout)


def connections():
    # The server counts the connection asking, too.
    with urllib.request.urlopen(target + "/connections", timeout=5) as response:
        return int(response.read().decode()) - 1


def element(id_):
    return driver.find_element(By.ID, id_)


def fill(id_, text):
    field = element(id_)
    field.clear()
    field.send_keys(text)


def seed_run():
    """The seed's load test as a person runs it from `cicada demo --web`."""
    until("the form holds the seed's stages", lambda: element("stages").get_attribute("value").startswith("baseline:100@10/"))
    if element("run_time").get_attribute("value") != "":
        fail("the run time", "with the seed's stages the form must not cut them short with the scenario's run_time")
    element("start-button").click()
    until("the run starts", lambda: driver.find_element(By.TAG_NAME, "body").get_attribute("data-phase") == "running")
    until("the charts gain points", lambda: int(driver.find_element(By.TAG_NAME, "body").get_attribute("data-points")) >= 3)
    until("the target's CPU and RSS chart", lambda: element("target-chart").is_displayed())
    driver.save_screenshot(os.path.join(artifacts, "seed-running.png"))
    until("the four stages in the per-stage table",
          lambda: len(driver.find_elements(By.CSS_SELECTOR, "#stages-table tbody tr")) == 4, timeout=120)
    until("the run finishes", lambda: driver.find_element(By.TAG_NAME, "body").get_attribute("data-phase") == "finished",
          timeout=120)
    until("the downloads show", lambda: element("download-html").is_displayed())
    verdicts = element("thresholds-table").text
    if "PASS" not in verdicts:
        fail("the thresholds' verdicts", verdicts)
    element("download-html").click()
    path = os.path.join(downloads, "cicada-report.html")
    until("the HTML report is downloaded", lambda: os.path.exists(path) and os.path.getsize(path) > 10000)
    with open(path) as report:
        if "baseline" not in report.read():
            fail("the HTML report", "no baseline stage in it")
    driver.save_screenshot(os.path.join(artifacts, "seed-finished.png"))
    driver.quit()
    print("browser: all steps passed")
    sys.exit(0)


driver.get(url)
if seed:
    seed_run()
until("the form is filled from the scenario", lambda: element("stages").get_attribute("value") == "warm:2@20/60s,hot:5@20/60s")
if len(driver.find_elements(By.CSS_SELECTOR, 'input[name="user_classes"]')) != 2:
    fail("the user classes", "expected two checkboxes")

# A bad value: the command line's message beside the field, and nothing starts.
stages = element("stages").get_attribute("value")
fill("stages", "")
fill("users", "-5")
element("start-button").click()
until("the error beside the users field", lambda: "expected an integer number of users" in element("error-users").text)
if driver.find_element(By.TAG_NAME, "body").get_attribute("data-phase") != "ready":
    fail("a refused start", "the phase changed")

# Start with the scenario's stages.
fill("users", "2")
fill("stages", stages)
element("start-button").click()
until("the run starts", lambda: driver.find_element(By.TAG_NAME, "body").get_attribute("data-phase") == "running")
until("the charts gain points", lambda: int(driver.find_element(By.TAG_NAME, "body").get_attribute("data-points")) >= 3)
drawn = driver.execute_script("return Chart.getChart('chart-rps').data.datasets[0].data.length")
if drawn < 3:
    fail("the requests chart", f"{drawn} points")
until("the warm stage's 2 connections", lambda: connections() == 2)
driver.save_screenshot(os.path.join(artifacts, "running.png"))

# Change the user count: the target's connections follow.
fill("scale-users", "4")
fill("scale-spawn-rate", "50")
element("scale-button").click()
until("4 connections after scaling", lambda: connections() == 4)

# Skip to the next stage.
element("skip-button").click()
until("the hot stage shows", lambda: element("stage-now").text.startswith("hot"))
until("the hot stage's 5 connections", lambda: connections() == 5)
until("the per-stage table", lambda: len(driver.find_elements(By.CSS_SELECTOR, "#stages-table tbody tr")) == 2)
until("the statistics table", lambda: len(driver.find_elements(By.CSS_SELECTOR, "#endpoints-table tbody tr")) >= 2)
driver.find_element(By.CSS_SELECTOR, '#endpoints-table th[data-key="requests"]').click()
until("the thresholds' live verdict", lambda: "PASS" in element("thresholds-table").text)
driver.save_screenshot(os.path.join(artifacts, "hot-stage.png"))

# Stop, then download the CSV.
element("stop-button").click()
until("the run finishes", lambda: driver.find_element(By.TAG_NAME, "body").get_attribute("data-phase") == "finished")
until("the downloads show", lambda: element("download-stats-csv").is_displayed())
element("download-stats-csv").click()
path = os.path.join(downloads, "cicada_stats.csv")
until("the CSV is downloaded", lambda: os.path.exists(path) and os.path.getsize(path) > 0)
with open(path) as csv_file:
    header = csv_file.readline().strip()
if not header.startswith("Type,Name,Request Count,Failure Count,Median Response Time"):
    fail("the CSV's header", header)
driver.save_screenshot(os.path.join(artifacts, "finished.png"))

# A second run from the same page: the form is back, and the charts start again.
until("the form is back after the run", lambda: element("start-section").is_displayed())
fill("stages", "")
fill("users", "1")
fill("spawn_rate", "1")
fill("run_time", "2s")
element("start-button").click()
until("the second run starts", lambda: element("control-section").is_displayed(), timeout=10)
until("the second run ends by its run time", lambda: driver.find_element(By.TAG_NAME, "body").get_attribute("data-phase") == "finished"
      and element("downloads").is_displayed())
if len(driver.find_elements(By.CSS_SELECTOR, "#stages-table tbody tr")) != 0:
    fail("the second run", "it has no stages, yet the stages table shows some")
driver.quit()
print("browser: all steps passed")
