"""The generator-overhead benchmark: Cicada side by side with wrk, h2load, hey, ab and Locust.

The command line (bench/run's options) and the run it drives: install what is missing, start nginx,
run the cases, write the report, and exit non-zero when a run failed.
"""

from __future__ import annotations

import argparse
import datetime
import os
import resource
import signal
from pathlib import Path

from cases import build_cases
from common import BENCH, WORK, log
from install import DEBIAN_PACKAGES, ensure_cicada, ensure_debian, ensure_locust, ensure_micro_headers
from machine import machine_slug
from malloc_case import run_malloc_case
from micro_case import run_micro_case
from nginx import Nginx
from report import write_report
from runner import Runner, run_case
from summary import summarize_case


def parse_args(argv):
    p = argparse.ArgumentParser(prog="bench/run", description=__doc__.split("\n\n")[0])
    p.add_argument("--case", action="append", metavar="N",
                   help="run only this case (1-9, https-keepalive = 6, https-new-connection = 7, templated = 8, arrival = 9, malloc, micro); "
                        "repeatable. Default: all")
    p.add_argument("--reps", type=int, default=3, help="repetitions (default 3)")
    p.add_argument("--smoke", action="store_true",
                   help="CI: one repetition of cases 1 and 2, 3-s runs, 200 users in case 2, no Locust")
    p.add_argument("--gen", action="append", metavar="TOOL",
                   help="run only this generator (wrk, h2load, hey, ab, locust, cicada); repeatable")
    p.add_argument("--duration", type=int, help="override every case's duration, in seconds (for development)")
    p.add_argument("--users2", type=int, help="users in case 2 (default 2000; 200 with --smoke)")
    p.add_argument("--users3", default="10000,18000", help="user counts for case 3 (default 10000,18000)")
    p.add_argument("--cicada", help="the Cicada binary (default: $CICADA, else .build/release/cicada, built "
                                    "with `swift build -c release` if missing)")
    p.add_argument("--server-cpu", type=int, default=0, help="CPU for nginx (default 0)")
    p.add_argument("--client-cpu", type=int, default=1, help="CPU for the generators (default 1)")
    p.add_argument("--pause", type=float, default=1.0, help="seconds between runs (default 1)")
    p.add_argument("--out", help="the results file (default bench/results/<date>-<machine>.md; "
                                 "bench/.work/smoke-<date>.md with --smoke)")
    p.add_argument("--machine", help="machine name for the results file (default <nproc>core-<cpu model>)")
    opts = p.parse_args(argv)
    opts.users3 = [int(x) for x in opts.users3.split(",") if x]
    if opts.smoke:
        opts.reps = 1
    cases = build_cases(opts)
    keys = [c.key for c in cases] + ["malloc", "micro"]
    names = {c.name: c.key for c in cases if c.name}
    if opts.case:
        opts.case = [names.get(c, c) for arg in opts.case for c in arg.split(",")]
    else:
        opts.case = ["1", "2"] if opts.smoke else keys
    bad = [c for c in opts.case if c not in keys]
    if bad:
        p.error(f"--case {bad[0]}: expected one of {', '.join(keys + list(names))}")
    if opts.smoke:
        opts.case = [c for c in opts.case if c in ("1", "2", "malloc")]
    known = {"wrk", "h2load", "hey", "ab", "locust", "cicada"}
    if opts.gen:
        opts.gen = [g for arg in opts.gen for g in arg.split(",")]
        bad = [g for g in opts.gen if g not in known]
        if bad:
            p.error(f"--gen {bad[0]}: expected one of {', '.join(sorted(known))}")
    if (os.cpu_count() or 1) < 2:
        log("bench: fewer than 2 CPUs: nginx and the generators share one (results are not comparable)")
        opts.server_cpu = opts.client_cpu = 0
    return opts


def raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 1048576
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def main(argv) -> int:
    opts = parse_args(argv)
    started = datetime.datetime.now().isoformat(timespec="seconds")
    raise_nofile()
    cases = [c for c in build_cases(opts) if c.key in opts.case]
    for c in cases:
        c.generators = [g for g in c.generators if not opts.gen or g.tool in opts.gen]
    tools = sorted({g.tool for c in cases for g in c.generators}, key=["wrk", "h2load", "hey", "ab", "locust",
                                                                         "cicada"].index)
    want_malloc = "malloc" in opts.case and (not opts.gen or "cicada" in opts.gen)
    if want_malloc and "cicada" not in tools:
        tools.append("cicada")
    # The microbenchmarks measure Cicada's core alone: they go with Cicada's rows.
    want_micro = "micro" in opts.case and (not opts.gen or "cicada" in opts.gen)
    # The malloc case also counts over HTTPS (issue 3: nothing allocated per request on a kept-alive
    # TLS connection), outside the smoke run.
    tls = any(g.tls for c in cases for g in c.generators) or (want_malloc and not opts.smoke)

    ensure_debian(["nginx", "taskset", "cc"] + (["openssl"] if tls else [])
                  + [t for t in tools if t in DEBIAN_PACKAGES])
    if want_micro:
        ensure_micro_headers()
    if "locust" in tools:
        ensure_locust()
    cicada = ensure_cicada(opts) if "cicada" in tools else ""
    if opts.smoke:
        log("bench: smoke run: one repetition of cases 1 and 2, 3-s runs, Locust skipped")

    load = os.getloadavg()[0]
    if load > 0.5:
        log(f"bench: load average is {load:.2f} before the runs: other work will disturb the figures")

    WORK.mkdir(exist_ok=True)
    run_dir = WORK / ("run-" + started.replace(":", ""))
    run_dir.mkdir(parents=True)
    nginx = Nginx(opts.server_cpu, tls=tls)
    runner = Runner(opts, nginx, cicada, run_dir)

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    summaries: dict = {}
    extras: dict = {}
    failed_runs = 0
    try:
        nginx.start()
        log(f"bench: nginx on {nginx.base}" + (f" and {nginx.tls_base}" if tls else "")
            + f" (worker pid {nginx.worker_pid}); run files in {run_dir}")
        for case in cases:
            runs, baselines, failed = run_case(opts, runner, case, cicada)
            failed_runs += failed
            summaries[case.key] = summarize_case(case, runs, baselines)
        if want_malloc:
            log("case malloc: Cicada's allocations per request on its worker thread")
            extras["malloc"] = run_malloc_case(opts, runner, cicada)
        if want_micro:
            log("case micro: the response parser and 100,000 idle users (bench/micro/)")
            extras["micro"] = run_micro_case(opts, run_dir)
    except KeyboardInterrupt:
        runner.kill_current()
        log("bench: interrupted")
        return 130
    finally:
        nginx.stop()

    report = write_report(opts, cases, summaries, extras, cicada, tools, started, argv)
    if opts.out:
        out = Path(opts.out)
    elif opts.smoke:
        out = WORK / f"smoke-{started[:10]}.md"
    else:
        every = {c.key for c in build_cases(opts)}
        suffix = "" if set(opts.case) >= every else "-case" + "-".join(opts.case)
        out = BENCH / "results" / f"{started[:10]}-{machine_slug(opts)}{suffix}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report)
    print(report)
    log(f"bench: results written to {out}")
    if failed_runs:
        log(f"bench: {failed_runs} run(s) failed")
        return 1
    if opts.smoke:
        # In CI, a Cicada run against nginx that reports failures is a regression.
        for rows in summaries.values():
            for s in rows:
                if s["tool"] == "cicada" and any(r.failures for r in s["good"]):
                    log("bench: Cicada reported failed requests against nginx")
                    return 1
    return 0
