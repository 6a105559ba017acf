"""Summaries: the medians of a generator's repetitions, and its ratios to the case's reference within
each repetition."""

from __future__ import annotations

import statistics
from typing import Optional

from cases import baseline_key
from model import Case, Generator, Measurement
from procfs import TIME_WAIT_QUIET, TIME_WAIT_USERS


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


def summarize_case(case: Case, runs: dict, baselines: dict) -> list:
    """A row for each of the case's generators, from run_case's runs by label and baselines."""
    refs = {}
    if case.reference:
        refs = {m.rep: m for m in runs.get(case.reference, [])}
    return [
        summarize(case, g, runs[g.label], refs,
                  baselines.get(baseline_key(g)) if case.baseline else None)
        for g in case.generators]
