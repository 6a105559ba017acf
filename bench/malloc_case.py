"""The malloc case: Cicada's allocations per request on its worker thread, counted by
bench/malloc_counter."""

from __future__ import annotations

import re

from commands import cicada_argv, cicada_arrival_argv
from common import log
from install import build_malloc_counter
from model import Case, Generator
from parsers import parse_cicada
from runner import Runner


def run_malloc_case(opts, runner: Runner, cicada: str) -> list:
    """Two Cicada runs of case 1 of different lengths under the counter: (m2 − m1) / (r2 − r1); over
    plain HTTP, over HTTPS when the bench's nginx serves TLS, for case 8's scenario (a templated
    request with a JSON capture and a check) and for case 9's open model (iterations handed to users by
    the workers' schedules)."""
    so = build_malloc_counter()
    case = Case("malloc", "mallocs per request", "", 0, "throughput", [])
    # (name, over TLS, command, path)
    variants = [("HTTP", False, cicada_argv("url"), "/")] + (
        [("HTTPS", True, cicada_argv("url"), "/")] if runner.nginx.tls else [])
    variants.append(("HTTP, template + capture + check", False, cicada_argv("templated.yaml"), "/api"))
    variants.append(("HTTP, open model at 20000/s", False, cicada_arrival_argv(20000), "/"))
    lines = ["Cicada, case 1 (50 users, no wait, one thread) run twice under bench/malloc_counter "
             "(LD_PRELOAD; counts malloc/calloc/realloc/memalign calls on threads named `cc-worker*`), "
             "over " + " and ".join(name for name, _, _, _ in variants) + " (case 8's scenario, "
             "bench/scenarios/templated.yaml, for the template; case 9's --arrival-rate 20000 for the open model).", "",
             "| protocol | run | requests | worker mallocs |", "|---|---|---:|---:|"]
    verdicts = []
    # Fixed lengths (--duration does not apply): the difference between the runs is what is measured.
    short, long = (2, 5) if opts.smoke else (3, 8)
    for name, tls, argv, path in variants:
        gen = Generator("cicada", f"Cicada (malloc counter, {name})", argv, parse_cicada, tls=tls, path=path)
        results = []
        for secs in (short, long):
            slug = "".join(c if c.isalnum() else "-" for c in name.lower())
            counter_out = runner.run_dir / f"malloc-{slug}-{secs}s.txt"
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
            # A longer run that allocated no more than the shorter one allocates nothing per request: the
            # two counts differ only by start-up (a handshake's session callback can run once more in one).
            per = max(0, c2 - c1) / (m2.requests - m1.requests)
            verdict = "met" if c2 <= c1 else "**missed**"
            note = f"; the 3-s run's count was higher by {c1 - c2}, start-up only" if c2 < c1 else ""
            verdicts.append(f"{name}: (m2 − m1) / (r2 − r1) = ({c2} − {c1}) / ({m2.requests} − {m1.requests}) "
                            f"= **{per:.4f} mallocs per request** (target 0: {verdict}{note}).")
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
