"""Output parsers: each reads one tool's own summary into requests, failures and duration.

A parser raises ValueError when the summary is not there (the tool crashed or changed its format); the
run is then reported as an error, never as a zero."""

from __future__ import annotations

import json
import re

from model import Job, Parsed

_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def _need(pattern: str, text: str, what: str) -> re.Match:
    m = re.search(pattern, text, re.M)
    if not m:
        raise ValueError(f"no {what} in the output")
    return m


def parse_wrk(out: str, job: Job) -> Parsed:
    m = _need(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h),", out, "'N requests in T' line")
    failures = 0
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if sock:
        failures += sum(int(x) for x in sock.groups())
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        failures += int(non2xx.group(1))
    return Parsed(int(m.group(1)), failures, float(m.group(2)) * _UNITS[m.group(3)])


def parse_h2load(out: str, job: Job) -> Parsed:
    m = _need(r"^requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed",
              out, "'requests:' line")
    fin = re.search(r"^finished in ([\d.]+)(us|ms|s|m|h),", out, re.M)
    secs = float(fin.group(1)) * _UNITS[fin.group(2)] if fin else None
    # "failed" counts HTTP-level failures as well as errors and time-outs (h2load(1)).
    return Parsed(int(m.group(3)), int(m.group(5)), secs)


def parse_hey(out: str, job: Job) -> Parsed:
    total = _need(r"^\s*Total:\s+([\d.]+) secs", out, "'Total:' line")
    statuses = re.findall(r"^\s*\[(\d{3})\]\s+(\d+) responses", out, re.M)
    if not statuses and "Status code distribution" not in out:
        raise ValueError("no status code distribution in the output")
    responses = sum(int(n) for _, n in statuses)
    non2xx = sum(int(n) for code, n in statuses if not code.startswith("2"))
    errors = 0
    if "Error distribution:" in out:
        tail = out.split("Error distribution:", 1)[1]
        errors = sum(int(n) for n in re.findall(r"^\s*\[(\d+)\]\s", tail, re.M))
    return Parsed(responses, non2xx + errors, float(total.group(1)))


def parse_ab(out: str, job: Job) -> Parsed:
    done = _need(r"^Complete requests:\s+(\d+)", out, "'Complete requests:' line")
    failed = _need(r"^Failed requests:\s+(\d+)", out, "'Failed requests:' line")
    non2xx = re.search(r"^Non-2xx responses:\s+(\d+)", out, re.M)
    taken = re.search(r"^Time taken for tests:\s+([\d.]+) seconds", out, re.M)
    return Parsed(int(done.group(1)), int(failed.group(1)) + (int(non2xx.group(1)) if non2xx else 0),
                  float(taken.group(1)) if taken else None)


def parse_locust(out: str, job: Job) -> Parsed:
    try:
        entries = json.loads(job.out.read_text())
    except (OSError, ValueError) as e:
        raise ValueError(f"no Locust JSON summary ({e})")
    requests = sum(e["num_requests"] for e in entries)
    failures = sum(e["num_failures"] for e in entries)
    secs = None
    if entries:
        secs = max(e["last_request_timestamp"] or 0 for e in entries) - min(e["start_time"] for e in entries)
    return Parsed(requests, failures, secs if secs and secs > 0 else None)


def parse_cicada(out: str, job: Job) -> Parsed:
    try:
        doc = json.loads(job.out.read_text())
    except (OSError, ValueError) as e:
        raise ValueError(f"no Cicada JSON summary ({e})")
    totals = doc.get("totals") or {}
    if "requests" not in totals:
        raise ValueError("Cicada JSON summary has no totals.requests")
    gen = doc.get("generator") or {}
    extra = {}
    if gen.get("loop_lag_p99_ms") is not None:
        extra["loop_lag_p99_ms"] = float(gen["loop_lag_p99_ms"])
    if totals.get("cancelled"):
        extra["cancelled"] = int(totals["cancelled"])
    # Present from the version with HTTPS on; 0 on a plain-HTTP run.
    if totals.get("tls_handshakes"):
        extra["tls_handshakes"] = int(totals["tls_handshakes"])
        extra["tls_resumed"] = int(totals.get("tls_resumed") or 0)
    return Parsed(int(totals["requests"]), int(totals.get("failures") or 0),
                  float(totals["duration_s"]) if totals.get("duration_s") else None, extra)
