"""Command builders: each turns a Job into one tool's command line."""

from __future__ import annotations

from typing import Callable

from common import BENCH, VENV
from install import hook_bench_path
from model import Job


def cicada_hook_argv(scenario: str, hook: bool) -> Callable[[Job], list]:
    """bench/hook/main.swift (cicada-hook-bench): `scenario` run through the library as `cicada run
    --threads 1` runs it, with a Swift hook on every task request when `hook` is set."""
    def build(j: Job) -> list:
        return [str(hook_bench_path(j.cicada)), str(BENCH / "scenarios" / scenario), j.base, str(j.users),
                str(j.duration), str(j.out), *(["--hook"] if hook else [])]
    return build


def wrk_argv(*extra: str) -> Callable[[Job], list]:
    return lambda j: ["wrk", "-t1", f"-c{j.users}", f"-d{j.duration}s", *extra, j.url]


def wrk_pipeline_argv(j: Job) -> list:
    return ["wrk", "-t1", f"-c{j.users}", f"-d{j.duration}s", "-s", str(BENCH / "lua" / "pipeline.lua"),
            j.url, "--", str(j.depth)]


def h2load_argv(j: Job) -> list:
    return ["h2load", "--h1", "-t1", f"-c{j.users}", f"-m{j.depth}", "-D", str(j.duration), j.url]


# With Connection: close, nghttp2 1.52's h2load never ends a timing-based (-D) run: its clients stop
# reconnecting when the main duration ends but the run waits for them. A request count works, so
# case 4 gives it one that takes about the case's duration here.
H2LOAD_CLOSE_RPS = 15000


def h2load_count_argv(rps: int = H2LOAD_CLOSE_RPS) -> Callable[[Job], list]:
    return lambda j: ["h2load", "--h1", "-t1", f"-c{j.users}", "-n", str(rps * j.duration), j.url]


# The same over TLS (case 7), where it hangs the same way: every request is also a handshake, and about
# 2000 a second is what h2load, wrk and Cicada each completed here against /close over https (nginx
# spends some 300 µs of CPU per resumed handshake, the generator as much).
H2LOAD_TLS_CLOSE_RPS = 2000


def h2load_rps_argv(rate: int) -> Callable[[Job], list]:
    """h2load at a fixed rate: --rps is per client, so each of the job's clients gets its share."""
    return lambda j: ["h2load", "--h1", "-t1", f"-c{j.users}", f"--rps={rate // j.users}", "-D", str(j.duration), j.url]


def hey_argv(*extra: str) -> Callable[[Job], list]:
    # -cpus 1: the affinity mask already limits Go to one CPU; saying so keeps it explicit.
    return lambda j: ["hey", "-c", str(j.users), "-z", f"{j.duration}s", "-cpus", "1", *extra, j.url]


def ab_argv(*extra: str) -> Callable[[Job], list]:
    # -t alone implies -n 50000, which a fast run reaches before the time limit: -n must come after -t.
    return lambda j: ["ab", *extra, "-c", str(j.users), "-t", str(j.duration), "-n", "100000000", j.url]


def locust_argv(locustfile: str) -> Callable[[Job], list]:
    return lambda j: [str(VENV / "bin" / "locust"), "-f", str(BENCH / "locust" / locustfile), "--headless",
                      "-u", str(j.users), "-r", str(j.rate), "-t", f"{j.duration}s", "--host", j.base,
                      "--only-summary", "--loglevel", "WARNING", "--json-file", str(j.out.with_suffix(""))]


def cicada_argv(target: str = "url", pipeline: bool = False, *extra: str) -> Callable[[Job], list]:
    """target: "url" for a plain URL run, else a scenario file under bench/scenarios/. An https run
    trusts the bench's CA (--ca-file): Cicada verifies the certificate, as its users would."""
    def build(j: Job) -> list:
        if target == "url":
            head = [j.cicada, "run", j.url]
        else:
            head = [j.cicada, "run", str(BENCH / "scenarios" / target), "--host", j.base]
        pipe = ["--pipeline", str(j.depth)] if pipeline else []
        tls = ["--ca-file", j.ca_file] if j.base.startswith("https:") and j.ca_file else []
        return [*head, "-u", str(j.users), "-r", str(j.rate), "-t", f"{j.duration}s", "--threads", "1",
                "--headless", *pipe, *tls, *extra, "--json", str(j.out)]
    return build


def cicada_arrival_argv(rate: int) -> Callable[[Job], list]:
    """Cicada's open model at a fixed rate, with the job's users pre-allocated and no more: the same
    connections as h2load's clients."""
    return lambda j: [j.cicada, "run", j.url, "--arrival-rate", str(rate), "--max-users", str(j.users),
                      "--pre-allocated-users", str(j.users), "-t", f"{j.duration}s", "--threads", "1", "--headless",
                      "--json", str(j.out)]


def cicada_staged_argv(j: Job) -> list:
    """Case 1's run as one stage with two thresholds: the per-second history, the stage ledger and the
    thresholds' evaluation all on, so that their cost per request shows beside the plain row."""
    return [j.cicada, "run", j.url, "--stages", f"steady:{j.users}@{j.rate}/{j.duration}s",
            "--threshold", "http_req_duration: p(95) < 1s", "--threshold", "http_req_failed: rate < 0.01",
            "--threads", "1", "--headless", "--json", str(j.out)]



def cicada_web_argv(j: Job) -> list:
    """Case 1's request from bench/scenarios/plain.yaml with the web UI serving and a page watching its live
    updates the whole run (bench/web_watch.py), started by --autostart and ended by --autoquit: beside the
    same scenario run headless, what the UI costs per request."""
    return ["python3", str(BENCH / "web_watch.py"), j.cicada, "run", str(BENCH / "scenarios" / "plain.yaml"),
            "--host", j.base, "-u", str(j.users), "-r", str(j.rate), "-t", f"{j.duration}s", "--threads", "1",
            "--autostart", "--autoquit", "0", "--json", str(j.out)]
