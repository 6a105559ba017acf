#!/usr/bin/env python3
"""A client of Locust's web API, written against Locust 2.47 (as its web UI calls it: a form-encoded
POST /swarm, GET /stats/requests and its CSV, POST /stats/reset, POST /stop). WebAPITests runs it against
a real Locust (locust_peer.py) and, unchanged, against Cicada's web UI.

    python3 locust_web_api_client.py WEB_UI_URL TARGET_HOST

Standard library only. Exits 0 and prints "locust client: all steps passed", or exits 1 naming the step.
"""
import csv
import io
import json
import sys
import time
import urllib.parse
import urllib.request

base, host = sys.argv[1].rstrip("/"), sys.argv[2]


def call(method, path, form=None):
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.headers.get("Content-Type", ""), response.read().decode()


def fail(step, detail):
    print(f"locust client: {step}: {detail}")
    sys.exit(1)


def stats():
    status, kind, body = call("GET", "/stats/requests")
    if status != 200 or "json" not in kind:
        fail("GET /stats/requests", f"{status} {kind}")
    return json.loads(body)


# Start a swarm as Locust's form posts it.
status, _, body = call("POST", "/swarm", {"user_count": 3, "spawn_rate": 3, "host": host})
reply = json.loads(body)
if status != 200 or reply.get("success") is not True or reply.get("message") != "Swarming started":
    fail("POST /swarm", body)

deadline = time.time() + 20
while True:
    report = stats()
    total = next((s for s in report["stats"] if s["name"] == "Aggregated"), None)
    if total and total["num_requests"] > 20 and report["user_count"] == 3 and report["state"] == "running":
        break
    if time.time() > deadline:
        fail("waiting for 3 users and requests", json.dumps(report)[:500])
    time.sleep(0.5)
for key in ("stats", "errors", "total_rps", "total_fail_per_sec", "current_rps", "current_fail_per_sec", "fail_ratio",
            "state", "user_count", "current_response_time_percentiles"):
    if key not in report:
        fail("GET /stats/requests", f"no key {key}")
entry = report["stats"][0]
for key in ("method", "name", "num_requests", "num_failures", "avg_response_time", "min_response_time",
            "max_response_time", "current_rps", "current_fail_per_sec", "total_rps", "median_response_time",
            "response_time_percentile_0.95", "response_time_percentile_0.99", "avg_content_length"):
    if key not in entry:
        fail("GET /stats/requests", f"no key {key} in an entry")

# A swarm while running changes the user count, as Locust's does.
status, _, body = call("POST", "/swarm", {"user_count": 1, "spawn_rate": 10})
deadline = time.time() + 20
while stats()["user_count"] != 1:
    if time.time() > deadline:
        fail("POST /swarm while running", "the user count did not move to 1")
    time.sleep(0.3)

status, kind, body = call("GET", "/stats/requests/csv")
header = next(csv.reader(io.StringIO(body)))
if status != 200 or header[:4] != ["Type", "Name", "Request Count", "Failure Count"]:
    fail("GET /stats/requests/csv", f"{status} {header}")

before = next(s for s in stats()["stats"] if s["name"] == "Aggregated")["num_requests"]
status, _, body = call("POST", "/stats/reset", {})
if status != 200 or body != "ok":
    fail("POST /stats/reset", f"{status} {body}")
deadline = time.time() + 10
while next(s for s in stats()["stats"] if s["name"] == "Aggregated")["num_requests"] >= before:
    if time.time() > deadline:
        fail("POST /stats/reset", "the counts did not start again")
    time.sleep(0.3)

status, _, body = call("POST", "/stop", {})
if status != 200 or json.loads(body).get("success") is not True:
    fail("POST /stop", body)
deadline = time.time() + 20
while stats()["state"] != "stopped":
    if time.time() > deadline:
        fail("POST /stop", "the state did not become stopped")
    time.sleep(0.3)
print("locust client: all steps passed")
