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
