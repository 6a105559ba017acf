#!/usr/bin/env python3
"""The generator-overhead benchmark: Cicada side by side with wrk, h2load, hey, ab and Locust.

Run it through bench/run (see bench/README.md). It starts its own nginx on 127.0.0.1 pinned to one
CPU, runs every generator pinned to the other, and measures what each generator costs: CPU time
(user + sys, from the child's rusage) per request, peak RSS, and nginx's CPU over the same interval
so that a reader sees which side was the limit. Results are medians over repetitions, with ratios to
a reference generator (wrk) computed within each repetition.

A case is a declarative entry in build_cases(): a duration and a list of Generator rows, each with a
command builder and an output parser. To add a case, add an entry there; to add a peer, write an
argv builder and a parser for its output.

Standard library only.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Optional

from cases import baseline_key, build_cases
from common import BENCH, VENV, WORK, log
from install import (DEBIAN_PACKAGES, build_malloc_counter, build_measure, cicada_supports, ensure_cicada,
                     ensure_debian, ensure_locust, ensure_micro_headers)
from model import Case, Generator, Job, Measurement
from nginx import Nginx
from procfs import CLK_TCK, TIME_WAIT_QUIET, TIME_WAIT_USERS, proc_cpu_ticks, system_ticks, wait_for_time_wait
# Until the tests import from the modules themselves, they find these here.
from commands import H2LOAD_TLS_CLOSE_RPS, ab_argv, cicada_argv, h2load_argv, wrk_pipeline_argv  # noqa: F401
from parsers import parse_ab, parse_cicada, parse_h2load, parse_hey, parse_locust, parse_wrk  # noqa: F401


# --------------------------------------------------------------------------------------------------
# Running one generator


# Capacity cases also report the CPU % of a window that leaves out start-up and shutdown.
STEADY_SKIP = 5
STEADY_MIN_DURATION = 10


class Runner:
    def __init__(self, opts, nginx: Nginx, cicada: str, run_dir: Path):
        self.opts = opts
        self.measure = build_measure()
        self.nginx = nginx
        self.cicada = cicada
        self.run_dir = run_dir
        self.seq = 0
        self.current: Optional[subprocess.Popen] = None

    def run(self, case: Case, gen: Generator, rep: int, users: Optional[int] = None,
            duration: Optional[int] = None, env_extra: Optional[dict] = None) -> Measurement:
        users = users or gen.users
        self.seq += 1
        slug = re.sub(r"[^a-z0-9]+", "-", gen.label.lower()).strip("-")
        stem = self.run_dir / f"{self.seq:03d}-case{case.key}-{slug}-u{users}-r{rep}"
        job = Job(base=self.nginx.tls_base if gen.tls else self.nginx.base, path=gen.path,
                  duration=duration or case.duration, users=users, rate=gen.rate or users, depth=gen.depth,
                  out=stem.with_suffix(".json"), cicada=self.cicada,
                  ca_file=self.nginx.ca_file if gen.tls else None)
        argv = gen.argv(job)
        rusage_path = stem.with_suffix(".rusage")
        argv = [str(self.measure), str(rusage_path)] + argv
        if self.opts.client_cpu is not None:
            argv = ["taskset", "-c", str(self.opts.client_cpu)] + argv
        m = Measurement(case.key, gen.label, gen.tool, rep, users)
        # The locustfiles read the path from BENCH_PATH (Locust's --host takes no path).
        env = dict(os.environ, BENCH_PATH=job.path, **(env_extra or {}))
        out_path = stem.with_suffix(".out")
        (stem.with_suffix(".cmd")).write_text(" ".join(argv) + "\n")

        m.time_wait = wait_for_time_wait(users)
        log0 = self.nginx.tls_log_offset() if gen.tls else 0
        ng0, (sys0, irq0), t0 = self.nginx.cpu_ticks(), system_ticks(), time.monotonic()
        with open(out_path, "w") as out:
            proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    cwd=self.run_dir, env=env, start_new_session=True)
            self.current = proc
            # Every run is bounded: a tool that outlives its duration by a minute is stopped.
            timed_out = threading.Event()

            def stop_it():
                timed_out.set()
                try:
                    os.killpg(proc.pid, signal.SIGINT)
                    time.sleep(5)
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

            timer = threading.Timer(job.duration + 60, stop_it)
            timer.daemon = True
            timer.start()
            sampler = None
            if case.kind == "capacity" and job.duration >= STEADY_MIN_DURATION:
                sampler = threading.Thread(target=self._sample_steady, args=(proc.pid, t0, job.duration, m),
                                           daemon=True)
                sampler.start()
            try:
                _, status, ru = os.wait4(proc.pid, 0)
            finally:
                timer.cancel()
            if sampler:
                sampler.join()
            proc.returncode = os.waitstatus_to_exitcode(status)
            self.current = None
        t1, (sys1, irq1), ng1 = time.monotonic(), system_ticks(), self.nginx.cpu_ticks()

        m.wall_s = t1 - t0
        m.nginx_cpu_s = (ng1 - ng0) / CLK_TCK
        m.exit_code = proc.returncode
        # The tool's own rusage, from bench/measure (see measure.c for why not `ru` here).
        usage = dict(kv.split("=") for kv in rusage_path.read_text().split()) if rusage_path.exists() else {}
        if usage:
            m.user_s, m.sys_s = int(usage["user_us"]) / 1e6, int(usage["sys_us"]) / 1e6
            m.maxrss_kib = int(usage["maxrss_kib"])
            m.exit_code = int(usage["status"])
        else:
            m.user_s, m.sys_s, m.maxrss_kib = ru.ru_utime, ru.ru_stime, ru.ru_maxrss
        m.other_cpu_s = max(0.0, (sys1 - sys0) / CLK_TCK - m.nginx_cpu_s - m.cpu_s)
        if gen.tls and gen.path == "/close":
            m.server_requests, m.server_resumed, m.server_negotiated = self.nginx.tls_log_since(log0)
        m.irq_cpu_s = (irq1 - irq0) / CLK_TCK
        text = out_path.read_text(errors="replace")
        try:
            p = gen.parse(text, job)
            m.requests, m.failures, m.tool_seconds, m.extra = p.requests, p.failures, p.seconds, p.extra
            if not p.requests:
                m.error = "no request completed"
        except ValueError as e:
            m.error = str(e)
        if timed_out.is_set():
            m.error = f"did not finish within {job.duration + 60} s: stopped"
        if m.error:
            tail = "\n".join(text.strip().splitlines()[-8:])
            m.error += f" (exit {m.exit_code}; output in {out_path})"
            log(f"    error: {m.error}\n      " + tail.replace("\n", "\n      "))
        return m

    @staticmethod
    def _sample_steady(measure_pid: int, t0: float, duration: int, m: Measurement) -> None:
        """CPU % of the tool between STEADY_SKIP s after the start and 2 s before the planned end: the
        cost of holding the users, without start-up (Python imports, spawning) and shutdown."""
        def tool_ticks() -> Optional[int]:
            try:
                with open(f"/proc/{measure_pid}/task/{measure_pid}/children") as f:
                    kids = f.read().split()
                return proc_cpu_ticks(int(kids[0])) if kids else None
            except (OSError, ValueError, IndexError):
                return None

        def at(t: float) -> tuple:
            time.sleep(max(0.0, t0 + t - time.monotonic()))
            return tool_ticks(), time.monotonic()

        a, ta = at(STEADY_SKIP)
        b, tb = at(duration - 2)
        if a is not None and b is not None and tb > ta:
            m.steady_cpu_pct = 100.0 * (b - a) / CLK_TCK / (tb - ta)

    def kill_current(self) -> None:
        if self.current and self.current.poll() is None:
            try:
                os.killpg(self.current.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


# --------------------------------------------------------------------------------------------------
# Summaries and the report


def med_range(vals: list, fmt: str) -> str:
    vals = [v for v in vals if v is not None]
    if not vals:
        return "–"
    med = statistics.median(vals)
    if len(vals) == 1 or min(vals) == max(vals):
        return format(med, fmt)
    return f"{format(med, fmt)} ({format(min(vals), fmt)}–{format(max(vals), fmt)})"


def med(vals: list) -> Optional[float]:
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def summarize(case: Case, gen: Generator, runs: list, refs: dict, baseline: Optional[Measurement]) -> dict:
    """One row: medians over the repetitions of one generator, and the per-repetition ratios."""
    good = [r for r in runs if r.ok]
    s = {"label": gen.label, "tool": gen.tool, "users": gen.users, "runs": runs, "good": good, "notes": []}
    if gen.note:
        s["notes"].append(gen.note)
    skipped = {r.skipped for r in runs if r.skipped}
    if skipped:
        s["notes"] += sorted(skipped)
        return s
    errors = [r for r in runs if r.error]
    if errors:
        s["notes"].append(f"{len(errors)} of {len(runs)} runs failed: {errors[0].error}")
    fails = [r.failures for r in good if r.failures]
    if fails:
        s["notes"].append(f"**⚠ reported failures: {sum(fails)} over {len(fails)} run(s)**")
    cancelled = [r.extra["cancelled"] for r in good if r.extra.get("cancelled")]
    if cancelled:
        s["notes"].append(f"cancelled at the end: {sum(cancelled)} over {len(cancelled)} run(s)")
    negotiated = sorted({k for r in good for k in r.server_negotiated})
    if negotiated:
        s["notes"].append("nginx logged " + ", ".join(negotiated))
    crowded = [r.time_wait for r in runs if r.users >= TIME_WAIT_USERS and r.time_wait >= TIME_WAIT_QUIET]
    if crowded:
        s["notes"].append(f"⚠ {max(crowded)} sockets in TIME-WAIT at the start of a run")
    nonzero = [r.exit_code for r in good if r.exit_code]
    if nonzero:
        s["notes"].append(f"exit code {nonzero[0]}")
    noisy = [r for r in good if r.other_cpu_pct > 15]
    if noisy:
        s["notes"].append(f"⚠ other processes used {max(r.other_cpu_pct for r in noisy):.0f} % of a core "
                          "during a run")
    if not good:
        return s
    s["requests"] = med([r.requests for r in good])
    s["cpu_pct"] = med([r.gen_cpu_pct for r in good])
    s["steady_cpu_pct"] = med([r.steady_cpu_pct for r in good])
    s["rss_mib"] = med([r.maxrss_kib / 1024 for r in good])
    s["cpu_us"] = med([r.cpu_us_per_req for r in good])
    if refs is not None and case.reference:
        ratios = []
        for r in good:
            ref = refs.get(r.rep)
            if ref is not None and ref.ok and ref.cpu_us_per_req:
                ratios.append(r.cpu_us_per_req / ref.cpu_us_per_req)
        s["ratios"] = ratios
        s["ratio"] = med(ratios)
    lags = [r.extra.get("loop_lag_p99_ms") for r in good]
    s["loop_lag_p99_ms"] = med(lags)
    s["kib_per_user"] = med([r.maxrss_kib / r.users for r in good])
    s["baseline_run"] = baseline
    if baseline is not None and baseline.ok and gen.users > 1:
        s["baseline_kib"] = baseline.maxrss_kib
        s["marginal_kib"] = med([(r.maxrss_kib - baseline.maxrss_kib) / (r.users - 1) for r in good])
    return s


def table_throughput(case: Case, rows: list) -> list:
    tls_head, tls_rule = "", ""
    if case.handshakes:
        tls_head, tls_rule = " handshakes/s | resumed % (tool) | resumed % (nginx) |", "---:|---:|---:|"
    lines = [
        f"| generator | requests | req/s | CPU µs/request | × {case.reference} (CPU/request) |{tls_head} "
        "peak RSS MiB | generator CPU % | nginx CPU % | notes |",
        f"|---|---:|---:|---:|---:|{tls_rule}---:|---:|---:|---|",
    ]
    for s in rows:
        g = s["good"]
        tls = []
        if case.handshakes:
            tls = [med_range([r.handshakes_per_s for r in g], ".0f"),
                   med_range([r.resumed_pct for r in g], ".1f"),
                   med_range([r.server_resumed_pct for r in g], ".1f")]
        lines.append("| " + " | ".join([
            s["label"],
            med_range([r.requests for r in g], ".0f"),
            med_range([r.rps for r in g], ".0f"),
            med_range([r.cpu_us_per_req for r in g], ".2f"),
            med_range(s.get("ratios") or [], ".2f"),
            *tls,
            med_range([r.maxrss_kib / 1024 for r in g], ".1f"),
            med_range([r.gen_cpu_pct for r in g], ".0f"),
            med_range([r.nginx_cpu_pct for r in g], ".0f"),
            "; ".join(s["notes"]),
        ]) + " |")
    return lines


def table_capacity(case: Case, rows: list) -> list:
    lines = [
        "| generator | users | req/s | CPU % of one core | CPU % steady | peak RSS MiB | KiB/user (peak ÷ users) "
        "| KiB/additional user | loop lag p99 ms | nginx CPU % | notes |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for s in rows:
        g = s["good"]
        base = s.get("baseline_kib")
        marginal = "–"
        if base is not None:
            marginal = med_range([(r.maxrss_kib - base) / (r.users - 1) for r in g], ".2f")
        lag = med_range([r.extra.get("loop_lag_p99_ms") for r in g], ".2f") if s["tool"] == "cicada" else "–"
        if s["tool"] == "cicada" and g and lag == "–":
            lag = "n/a"
        lines.append("| " + " | ".join([
            s["label"], str(s["users"]),
            med_range([r.rps for r in g], ".1f"),
            med_range([r.gen_cpu_pct for r in g], ".2f"),
            med_range([r.steady_cpu_pct for r in g], ".2f"),
            med_range([r.maxrss_kib / 1024 for r in g], ".1f"),
            med_range([r.maxrss_kib / r.users for r in g], ".2f"),
            marginal, lag,
            med_range([r.nginx_cpu_pct for r in g], ".1f"),
            "; ".join(s["notes"]),
        ]) + " |")
    return lines


def tls_pair(total: Optional[int], resumed: Optional[int]) -> str:
    return "–" if total is None else f"{total} ({resumed or 0})"


def tool_version(tool: str, cicada: str) -> str:
    def run(argv):
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=20)
            return (r.stdout + r.stderr).strip()
        except (OSError, subprocess.TimeoutExpired):
            return ""

    if tool in ("wrk", "hey", "ab", "h2load", "nginx"):
        pkg = {"h2load": "nghttp2-client", "ab": "apache2-utils", "nginx": "nginx-light"}.get(tool, tool)
        v = run(["dpkg-query", "-W", "-f", "${Version}", pkg])
        if v:
            return f"{tool} (Debian {pkg} {v})"
        return shutil.which(tool) or f"{tool}: not found"
    if tool == "locust":
        v = run([str(VENV / "bin" / "locust"), "--version"]).split(" from ")[0]
        return v or "locust: not installed"
    if tool == "cicada":
        v = run([cicada, "--version"]).splitlines()
        return f"cicada {v[0]}" if v and v[0] else f"cicada ({cicada})"
    return tool


def machine_description(opts, cicada: str, tools: list) -> list:
    def sh(argv) -> str:
        try:
            return subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout.strip()
        except OSError:
            return ""

    model = ""
    for line in sh(["lscpu"]).splitlines():
        if line.startswith("Model name:"):
            model = line.split(":", 1)[1].strip()
    mem_kib = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    distro = ""
    if Path("/etc/os-release").exists():
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                distro = line.split("=", 1)[1].strip('"')
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    somax = Path("/proc/sys/net/core/somaxconn").read_text().strip()
    lines = [
        f"- CPUs: {os.cpu_count()} (`nproc`: {sh(['nproc'])}), {model}",
        f"- memory: {mem_kib / 1024 / 1024:.1f} GiB; kernel {platform.release()}; {distro}",
        f"- open-files limit {soft} (hard {hard}); net.core.somaxconn {somax}",
        f"- nginx pinned to CPU {opts.server_cpu}, generators to CPU {opts.client_cpu} (`taskset`)",
        "- tools: " + "; ".join(tool_version(t, cicada) for t in ["nginx"] + tools),
    ]
    return lines


def machine_slug(opts) -> str:
    if opts.machine:
        return opts.machine
    model = ""
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1]
    except OSError:
        pass
    slug = re.sub(r"[^a-z0-9]+", "-", model.lower()).strip("-") or platform.machine()
    return f"{os.cpu_count()}core-{slug}"


def write_report(opts, cases: list, summaries: dict, extras: dict, cicada: str, tools: list, started: str,
                 argv: list) -> str:
    out = [f"# Generator overhead: Cicada and its peers, {started[:10]}", ""]
    out.append(f"Produced by `bench/run {' '.join(argv)}` ({opts.reps} repetition(s), generators alternated "
               "within each repetition). Medians, with min–max over repetitions in brackets.")
    out.append("")
    out.append("## Machine")
    out += machine_description(opts, cicada, tools)
    out.append("")
    out.append("## How to read it")
    out += [
        "- **CPU µs/request**: the generator process's user + sys CPU time (its rusage at exit, start-up "
        "included) divided by the requests it completed.",
        "- **× reference**: that figure divided by the reference's *in the same repetition*; the column shows "
        "the median of those ratios.",
        "- **generator CPU %** and **nginx CPU %**: CPU time over the run's wall time, in % of one core. "
        "A generator near 100 % was the limit; nginx near 100 % means the target was.",
        f"- **CPU % steady** (capacity cases): the tool's CPU from {STEADY_SKIP} s after its start to 2 s before "
        "its planned end, read from /proc: the cost of holding the users without start-up and shutdown.",
        "- **peak RSS**: the process's `ru_maxrss` (taken by bench/measure, a small C launcher, so that the "
        "harness's own RSS is not inherited: Linux carries the peak across exec).",
        "- **KiB/additional user**: (peak RSS − peak RSS of a 1-user run) ÷ (users − 1).",
        "- nginx: one worker, access log off, `keepalive_requests 1000000`, a 100-byte body "
        "(bench/nginx.conf.template).",
    ]
    if any(g.tls for c in cases if c.key in summaries for g in c.generators):
        out.append("- HTTPS (cases 6, 7): the same nginx on a second port with TLS 1.2-1.3, a session cache and "
                   "tickets, an EC P-256 certificate for 127.0.0.1 from a CA made at bench start "
                   "(bench/nginx-tls.conf.template); the server picks the cipher suite, so every tool gets the same one. "
                   "Case 7's notes give what nginx logged as negotiated.")
    out.append("")
    if opts.smoke:
        out += ["**Smoke run** (CI): one short repetition of cases 1 and 2, Locust skipped. "
                "Not a measurement to quote.", ""]
    for case in cases:
        rows = summaries.get(case.key)
        if not rows:
            continue
        out.append(f"## Case {case.key}: {case.title} ({case.duration} s)")
        out.append("")
        out.append(case.about)
        out.append("")
        out += table_throughput(case, rows) if case.kind == "throughput" else table_capacity(case, rows)
        out.append("")
        if case.targets and not opts.smoke:
            checks = case.targets(case, rows)
            if checks:
                out.append("Targets from issue 4 (where one is missed, say why here before committing):")
                out.append("")
                for what, measured, met in checks:
                    verdict = "n/a" if met is None else ("met" if met else "**missed**")
                    out.append(f"- {what}: {measured} — {verdict}")
                out.append("")
    if "malloc" in extras:
        out.append("## Allocations per request on the worker thread")
        out.append("")
        out += extras["malloc"]
        out.append("")
    if "micro" in extras:
        out.append("## Microbenchmarks (bench/micro/)")
        out.append("")
        out += extras["micro"]
        out.append("")
    out.append("<details><summary>Every run</summary>")
    out.append("")
    out.append("| case | generator | rep | users | requests | failures | wall s | user s | sys s | µs/req | "
               "steady CPU % | peak RSS KiB | nginx CPU s | softirq s | other CPU s | TIME-WAIT | "
               "TLS handshakes (resumed) | nginx log (resumed) | exit | error |")
    out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    listed = set()
    for case in cases:
        for s in summaries.get(case.key) or []:
            base = [s["baseline_run"]] if s.get("baseline_run") else []
            for r in base + s["runs"]:
                if r.skipped or id(r) in listed:
                    continue
                listed.add(id(r))
                out.append(f"| {r.case} | {r.label} | {r.rep} | {r.users} | {r.requests or 0} | {r.failures or 0} "
                           f"| {r.wall_s:.2f} | {r.user_s:.2f} | {r.sys_s:.2f} "
                           f"| {(r.cpu_us_per_req or 0):.2f} "
                           f"| {'–' if r.steady_cpu_pct is None else format(r.steady_cpu_pct, '.2f')} "
                           f"| {r.maxrss_kib} | {r.nginx_cpu_s:.2f} | {r.irq_cpu_s:.2f} "
                           f"| {r.other_cpu_s:.2f} | {r.time_wait} "
                           f"| {tls_pair(r.extra.get('tls_handshakes'), r.extra.get('tls_resumed'))} "
                           f"| {tls_pair(r.server_requests, r.server_resumed)} "
                           f"| {r.exit_code} | {r.error or ''} |")
    out.append("")
    out.append("</details>")
    out.append("")
    return "\n".join(out)


def run_malloc_case(opts, runner: Runner, cicada: str) -> list:
    """Two Cicada runs of case 1 of different lengths under the counter: (m2 − m1) / (r2 − r1); over
    plain HTTP, and over HTTPS when the bench's nginx serves TLS."""
    so = build_malloc_counter()
    case = Case("malloc", "mallocs per request", "", 0, "throughput", [])
    variants = [("HTTP", False)] + ([("HTTPS", True)] if runner.nginx.tls else [])
    lines = ["Cicada, case 1 (50 users, no wait, one thread) run twice under bench/malloc_counter "
             "(LD_PRELOAD; counts malloc/calloc/realloc/memalign calls on threads named `cc-worker*`), "
             "over " + " and ".join(name for name, _ in variants) + ".", "",
             "| protocol | run | requests | worker mallocs |", "|---|---|---:|---:|"]
    verdicts = []
    # Fixed lengths (--duration does not apply): the difference between the runs is what is measured.
    short, long = (2, 5) if opts.smoke else (3, 8)
    for name, tls in variants:
        gen = Generator("cicada", f"Cicada (malloc counter, {name})", cicada_argv("url"), parse_cicada, tls=tls)
        results = []
        for secs in (short, long):
            counter_out = runner.run_dir / f"malloc-{name.lower()}-{secs}s.txt"
            counter_out.unlink(missing_ok=True)
            log(f"  malloc counter: Cicada over {name}, {secs} s")
            m = runner.run(case, gen, 1, duration=secs,
                           env_extra={"LD_PRELOAD": str(so), "MALLOC_COUNTER_OUT": str(counter_out)})
            text = counter_out.read_text() if counter_out.exists() else ""
            hit = re.search(r"worker_mallocs=(\d+)", text)
            results.append((secs, m, int(hit.group(1)) if hit else None))
        for secs, m, count in results:
            lines.append(f"| {name} | {secs} s | {m.requests if m.ok else m.error} | {'–' if count is None else count} |")
        (s1, m1, c1), (s2, m2, c2) = results
        if m1.ok and m2.ok and c1 is not None and c2 is not None and m2.requests > m1.requests:
            per = (c2 - c1) / (m2.requests - m1.requests)
            verdict = "met" if per == 0 else "**missed**"
            verdicts.append(f"{name}: (m2 − m1) / (r2 − r1) = ({c2} − {c1}) / ({m2.requests} − {m1.requests}) "
                            f"= **{per:.4f} mallocs per request** (target 0: {verdict}).")
        elif c1 is None or c2 is None:
            verdicts.append(f"{name}: no count: the counter wrote no line (are the worker threads named "
                            "`cc-worker-N`, and does Cicada exit through exit(3)?).")
        else:
            verdicts.append(f"{name}: no figure: a run failed.")
    lines.append("")
    lines.append("Steady state:")
    lines.append("")
    lines.extend(f"- {v}" for v in verdicts)
    return lines


# The microbenchmarks: C programs built against the core's C files (bench/micro/build.sh).
MICRO_PROGRAMS = [
    ("parser_bench", "The response parser on a corpus of realistic responses, fed whole and in 512-byte pieces."),
    ("idle_users_bench", "100,000 idle users on one libuv loop: create, dispatch and cleanup times, memory per user."),
]


def run_micro_case(opts, run_dir: Path) -> list:
    """Builds bench/micro/ and runs each program once, pinned to the generators' CPU; the report quotes
    their output as it is."""
    out_dir = WORK / "micro"
    build = subprocess.run([str(BENCH / "micro" / "build.sh")], env=dict(os.environ, MICRO_OUT=str(out_dir)),
                           capture_output=True, text=True)
    if build.returncode != 0:
        log("    error: bench/micro/build.sh failed:\n" + build.stdout + build.stderr)
        return ["bench/micro/build.sh failed:", "", "```", (build.stdout + build.stderr).strip(), "```"]
    lines = []
    for name, about in MICRO_PROGRAMS:
        argv = [str(out_dir / name)]
        if opts.smoke or (opts.duration and opts.duration < 5):
            # Development runs: a shorter line for the parser, the same counts for the users.
            argv += ["--time", "0.1"] if name == "parser_bench" else []
        if opts.client_cpu is not None:
            argv = ["taskset", "-c", str(opts.client_cpu)] + argv
        log(f"  {name}")
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=300)
            text, code = (r.stdout + r.stderr).strip(), r.returncode
        except subprocess.TimeoutExpired:
            text, code = "stopped after 300 s", -1
        (run_dir / f"micro-{name}.out").write_text(text + "\n")
        log("    " + text.replace("\n", "\n    "))
        lines += [f"`{name}`: {about}" + ("" if code == 0 else f" **Exit code {code}.**"), "", "```", text, "```", ""]
    return lines


# --------------------------------------------------------------------------------------------------


def parse_args(argv):
    p = argparse.ArgumentParser(prog="bench/run", description=__doc__.split("\n\n")[0])
    p.add_argument("--case", action="append", metavar="N",
                   help="run only this case (1-7, https-keepalive = 6, https-new-connection = 7, malloc, micro); "
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
            runs: dict = {g.label: [] for g in case.generators}
            baselines: dict = {}
            usable = []
            for g in case.generators:
                reason = None
                if g.needs and not cicada_supports(cicada, g.needs):
                    reason = f"cicada: {g.needs} not supported yet"
                if reason:
                    runs[g.label].append(Measurement(case.key, g.label, g.tool, 0, g.users, skipped=reason))
                else:
                    usable.append(g)
            log(f"case {case.key}: {case.title} — {len(usable)} generator(s) × {opts.reps} rep(s) × "
                f"{case.duration} s")
            if case.baseline:
                # The RSS of a 1-user run, once per generator, for the marginal RSS per user.
                for g in usable:
                    key = baseline_key(g)
                    if key not in baselines:
                        log(f"  baseline for the RSS per user: {g.tool}, 1 user, 3 s")
                        baselines[key] = runner.run(case, g, 0, users=1, duration=3)
                        time.sleep(opts.pause)
            for rep in range(1, opts.reps + 1):
                # Alternate: each repetition starts one generator further along the list.
                k = (rep - 1) % len(usable) if usable else 0
                for g in usable[k:] + usable[:k]:
                    log(f"  rep {rep}: {g.label}")
                    m = runner.run(case, g, rep)
                    if m.ok:
                        log(f"    {m.requests} requests, {m.rps or 0:.0f}/s, {m.cpu_us_per_req:.2f} µs CPU/request, "
                            f"CPU {m.gen_cpu_pct:.0f} %, RSS {m.maxrss_kib / 1024:.1f} MiB, "
                            f"nginx {m.nginx_cpu_pct:.0f} %"
                            + (f", failures {m.failures}" if m.failures else "")
                            + (f", {m.handshakes_per_s:.0f} handshakes/s" if case.handshakes else "")
                            + (f", nginx logged {m.server_requests} ({m.server_resumed} resumed)"
                               if m.server_requests is not None else ""))
                    else:
                        failed_runs += 1
                    runs[g.label].append(m)
                    time.sleep(opts.pause)
            refs = {}
            if case.reference:
                refs = {m.rep: m for m in runs.get(case.reference, [])}
            summaries[case.key] = [
                summarize(case, g, runs[g.label], refs,
                          baselines.get(baseline_key(g)) if case.baseline else None)
                for g in case.generators]
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


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
