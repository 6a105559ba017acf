"""The report: the Markdown that is printed and written to bench/results/, a table per case (throughput
or capacity), the targets of issue 4, and every run."""

from __future__ import annotations

from typing import Optional

from machine import machine_description
from model import Case
from runner import STEADY_SKIP
from summary import med_range


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
