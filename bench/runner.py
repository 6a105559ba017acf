"""Running: one generator once (Runner.run: pinned, bounded in time, its rusage, nginx's CPU and
the machine's over the same interval), and a case's repetitions with its generators alternated
(run_case)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Optional

from cases import baseline_key
from common import log
from install import build_measure, cicada_supports
from model import Case, Generator, Job, Measurement
from nginx import Nginx
from procfs import CLK_TCK, proc_cpu_ticks, system_ticks, wait_for_time_wait


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


def run_case(opts, runner: Runner, case: Case, cicada: str) -> tuple:
    """Every repetition of one case: (runs by label, 1-user baseline runs by baseline_key, failed runs)."""
    failed = 0
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
                failed += 1
            runs[g.label].append(m)
            time.sleep(opts.pause)
    return runs, baselines, failed
