"""The cases: each a declarative list of Generator rows (a command builder and a parser), and the
targets of issue 4 that some of them are checked against."""

from __future__ import annotations

from pathlib import Path

from commands import (H2LOAD_CLOSE_RPS, H2LOAD_TLS_CLOSE_RPS, ab_argv, cicada_argv, cicada_arrival_argv,
                      cicada_hook_argv, cicada_staged_argv, cicada_web_argv, h2load_argv, h2load_count_argv, h2load_rps_argv, hey_argv,
                      locust_argv, wrk_argv, wrk_pipeline_argv)
from install import HOOK_BENCH
from model import Case, Generator, Job
from parsers import parse_ab, parse_cicada, parse_h2load, parse_hey, parse_locust, parse_wrk


def build_cases(opts) -> list:
    smoke = opts.smoke
    locust = not smoke  # Locust needs a venv and a minute of CPU per case: not in the CI smoke run

    def dur(normal: int) -> int:
        return opts.duration or (3 if smoke else normal)

    cases = []

    rows = [
        Generator("wrk", "wrk", wrk_argv(), parse_wrk),
        Generator("h2load", "h2load", h2load_argv, parse_h2load),
        Generator("hey", "hey", hey_argv(), parse_hey),
        Generator("ab", "ab -k", ab_argv("-k"), parse_ab),
    ]
    if locust:
        rows += [
            Generator("locust", "Locust HttpUser", locust_argv("http_user.py"), parse_locust),
            Generator("locust", "Locust FastHttpUser", locust_argv("fast_http_user.py"), parse_locust),
        ]
    rows.append(Generator("cicada", "Cicada", cicada_argv("url"), parse_cicada))
    rows.append(Generator("cicada", "Cicada, one stage + 2 thresholds", cicada_staged_argv, parse_cicada))
    # Issue 11: the web UI's cost, as a scenario file headless and the same with the UI serving a watching page.
    rows.append(Generator("cicada", "Cicada, scenario file, headless", cicada_argv("plain.yaml"), parse_cicada))
    rows.append(Generator("cicada", "Cicada, scenario file, web UI watched", cicada_web_argv, parse_cicada))
    cases.append(Case(
        "1", "Keep-alive, 50 connections, no wait",
        "50 connections (users), each sending GET / as soon as the previous response is in, over keep-alive.",
        dur(10), "throughput", rows, reference="wrk", targets=targets_case1))

    users2 = opts.users2 or (200 if smoke else 2000)
    rows = [Generator("cicada", "Cicada", cicada_argv("between.yaml"), parse_cicada, users=users2)]
    if locust:
        rows.insert(0, Generator("locust", "Locust FastHttpUser", locust_argv("fast_http_user_between.py"),
                                 parse_locust, users=users2))
    cases.append(Case(
        "2", f"{users2} users, wait between(1, 5)",
        f"{users2} users started at once, each doing GET / and then waiting 1 to 5 s "
        "(bench/scenarios/between.yaml, bench/locust/fast_http_user_between.py).",
        dur(30), "capacity", rows, baseline=True, targets=targets_case2))

    rows = [Generator("cicada", f"Cicada {n} users", cicada_argv("between.yaml"), parse_cicada, users=n)
            for n in opts.users3]
    cases.append(Case(
        "3", "The most users one process holds, wait between(1, 5)",
        "Cicada alone, users started at once, each doing GET / and waiting 1 to 5 s; the open-files "
        "limit bounds the connections.",
        dur(30), "capacity", rows, baseline=True, targets=targets_case3))

    rows = [
        Generator("wrk", "wrk", wrk_argv(), parse_wrk, path="/close"),
        Generator("h2load", "h2load (-n)", h2load_count_argv(), parse_h2load, path="/close",
                  note=f"count-based: -n {H2LOAD_CLOSE_RPS}×duration (see README)"),
        Generator("hey", "hey -disable-keepalive", hey_argv("-disable-keepalive"), parse_hey, path="/close"),
        Generator("ab", "ab (no -k)", ab_argv(), parse_ab, path="/close"),
    ]
    if locust:
        rows.append(Generator("locust", "Locust FastHttpUser", locust_argv("fast_http_user.py"), parse_locust,
                              path="/close"))
    rows.append(Generator("cicada", "Cicada", cicada_argv("url"), parse_cicada, path="/close"))
    cases.append(Case(
        "4", "A new connection per request",
        "50 concurrent clients against /close, where nginx answers with `Connection: close` "
        "(keepalive_timeout 0), so every generator opens a new connection per request on equal terms.",
        dur(10), "throughput", rows, reference="wrk"))

    # The reference is plain wrk, without a script: wrk calls a Lua request() for every request, which
    # costs more than its built-in request, so "wrk depth 1" through the script would flatter the others.
    rows = [Generator("wrk", "wrk (no script)", wrk_argv(), parse_wrk)]
    for d in (4, 16):
        rows.append(Generator("wrk", f"wrk depth {d}", wrk_pipeline_argv, parse_wrk, depth=d))
    for d in (4, 16):
        rows.append(Generator("h2load", f"h2load -m{d}", h2load_argv, parse_h2load, depth=d))
    for d in (1, 4, 16):
        rows.append(Generator("cicada", f"Cicada --pipeline {d}", cicada_argv("url", pipeline=True), parse_cicada,
                              depth=d, needs="--pipeline"))
    cases.append(Case(
        "5", "HTTP/1.1 pipelining, depth 1, 4, 16",
        "50 connections, each with up to N requests in flight (wrk with bench/lua/pipeline.lua, h2load's "
        "-m, Cicada's --pipeline). Ratios are to plain wrk, without pipelining or a script.",
        dur(10), "throughput", rows, reference="wrk (no script)", targets=targets_case5))

    # HTTPS (issue 3): the same nginx answers over TLS on a second port, with a certificate for
    # 127.0.0.1 from a CA made at bench start. h2load --h1 offers ALPN http/1.1 only; wrk offers no ALPN.
    rows = [
        Generator("wrk", "wrk", wrk_argv(), parse_wrk, tls=True),
        Generator("h2load", "h2load", h2load_argv, parse_h2load, tls=True),
        Generator("cicada", "Cicada", cicada_argv("url"), parse_cicada, tls=True, needs="--ca-file"),
    ]
    cases.append(Case(
        "6", "HTTPS keep-alive, 50 connections, no wait",
        "Case 1 over TLS 1.3: 50 connections, each making one handshake and then sending GET / as soon as "
        "the previous response is in. Cicada verifies nginx's certificate against the bench's CA "
        "(`--ca-file`); wrk and h2load verify nothing, which weighs nothing here: one handshake per connection.",
        dur(10), "throughput", rows, reference="wrk", name="https-keepalive"))

    rows = [
        Generator("wrk", "wrk", wrk_argv(), parse_wrk, path="/close", tls=True),
        Generator("h2load", "h2load (-n)", h2load_count_argv(H2LOAD_TLS_CLOSE_RPS), parse_h2load,
                  path="/close", tls=True, note=f"count-based: -n {H2LOAD_TLS_CLOSE_RPS}×duration (see README)"),
        Generator("cicada", "Cicada", cicada_argv("url"), parse_cicada, path="/close", tls=True,
                  needs="--ca-file"),
        Generator("cicada", "Cicada --no-tls-resume", cicada_argv("url", False, "--no-tls-resume"),
                  parse_cicada, path="/close", tls=True, needs="--no-tls-resume",
                  note="full handshakes: no peer does this, the ratio is not like for like"),
    ]
    cases.append(Case(
        "7", "HTTPS, a new connection per request",
        "50 concurrent clients against /close over TLS 1.3, so that every request costs a TCP connect, a TLS "
        "handshake and a close. wrk, h2load and Cicada all resume the previous session of the connection "
        "they replace (a TLS 1.3 ticket: no certificate, but still an X25519 key exchange); "
        "`--no-tls-resume` makes Cicada do full handshakes, each verifying nginx's certificate. "
        "Handshakes/s: Cicada's `totals.tls_handshakes` over its duration, requests/s for the others "
        "(each request is a handshake). Resumed: the tool's own count (Cicada), and nginx's "
        "`$ssl_session_reused` over the requests it logged for /close during the run.",
        dur(10), "throughput", rows, reference="wrk", name="https-new-connection", handshakes=True))

    # The scenario language (issue 8): a templated request with one JSON capture and one check, against
    # the same nginx location that wrk and a plain Cicada URL run hit.
    rows = [
        Generator("wrk", "wrk", wrk_argv(), parse_wrk, path="/api"),
        Generator("cicada", "Cicada, plain URL", cicada_argv("url"), parse_cicada, path="/api"),
        Generator("cicada", "Cicada, template + capture + check", cicada_argv("templated.yaml"), parse_cicada,
                  path="/api"),
        Generator("cicada", "Cicada, the same + a Swift hook", cicada_hook_argv("templated.yaml", hook=True),
                  parse_cicada, path="/api", needs=HOOK_BENCH),
    ]
    cases.append(Case(
        "8", "A templated request with a JSON capture and a check",
        "50 connections against nginx's /api (a 100-byte JSON answer). Cicada's scenario "
        "(bench/scenarios/templated.yaml) renders the target and an Authorization header from variables, "
        "captures the token from the JSON body and checks its status field on every request; wrk and the "
        "plain Cicada row send a fixed GET /api. The hook row runs the same scenario through the library "
        "(bench/hook) with a Swift request hook that reads the token and sets it again: the same bytes on "
        "the wire and one Swift call per request.",
        dur(10), "throughput", rows, reference="wrk", name="templated", targets=targets_case8))

    # The open model (issue 9): a fixed rate that both tools hold, so CPU per request compares the
    # schedules' cost; wrk2 is not in Debian, h2load --rps is its rate-limited peer here.
    rate = ARRIVAL_RATE
    rows = [
        Generator("h2load", f"h2load --rps ({rate}/s over 50 clients)", h2load_rps_argv(rate), parse_h2load),
        Generator("cicada", f"Cicada --arrival-rate {rate}", cicada_arrival_argv(rate), parse_cicada),
        Generator("wrk", "wrk (no rate: as fast as it goes)", wrk_argv(), parse_wrk),
    ]
    cases.append(Case(
        "9", f"An arrival rate of {rate} requests/s",
        f"{rate} requests a second on 50 keep-alive connections for the whole run: h2load with --rps "
        f"{rate // 50} per client (wrk2-style rate limiting; wrk2 is not in Debian), Cicada's open model with "
        "50 users pre-allocated and no more. CPU per request is against h2load's; wrk's unlimited row is "
        "there for scale. Achieved rate: requests over the tool's own duration.",
        dur(10), "throughput", rows, reference=f"h2load --rps ({rate}/s over 50 clients)", name="arrival",
        targets=targets_case9))

    return cases


ARRIVAL_RATE = 20000


def targets_case9(case, summaries):
    """Issue 9: hold 20,000 req/s of arrival rate and report the CPU beside h2load --rps."""
    out = []
    for s in summaries:
        if s["tool"] == "wrk" or s.get("requests") is None:
            continue
        achieved = s["requests"] / case.duration
        out.append((f"{s['label']}: achieved rate within 1 % of {ARRIVAL_RATE}/s", f"{achieved:.0f}/s",
                    abs(achieved - ARRIVAL_RATE) <= ARRIVAL_RATE * 0.01))
        if s["tool"] == "cicada" and s.get("ratio") is not None:
            out.append(("Cicada's CPU per request beside h2load --rps (no target)", f"{s['ratio']:.2f}x", None))
    return out


def targets_case8(case, summaries):
    """Issue 8: a templated request with a capture and a check within 1.15x of wrk's CPU per request;
    plain requests stay where they are (case 1's target)."""
    out = []
    for s in summaries:
        if s["label"] == "Cicada, template + capture + check" and s.get("ratio") is not None:
            out.append(("Templated request with a JSON capture and a check: CPU per request ≤ 1.15x wrk's",
                        f"{s['ratio']:.2f}", s["ratio"] <= 1.15))
        if s["label"] == "Cicada, the same + a Swift hook" and s.get("cpu_us") is not None:
            templated = next((t for t in summaries if t["label"] == "Cicada, template + capture + check"), None)
            if templated is not None and templated.get("cpu_us") is not None:
                out.append(("A Swift request hook: CPU per request beside the same templated request (no target)",
                            f"{s['cpu_us'] - templated['cpu_us']:+.2f} µs ({s['cpu_us'] / templated['cpu_us']:.2f}x)",
                            None))
        if s["label"] == "Cicada, plain URL" and s.get("ratio") is not None:
            out.append(("The same endpoint as a plain URL run: CPU per request ≤ wrk's", f"{s['ratio']:.2f}",
                        s["ratio"] <= 1.00))
    return out


# Targets from issue 4. They are reported, never tuned for: a missed one is written down as missed.

def targets_case1(case, summaries):
    out = []
    plain = next((s for s in summaries if s["label"] == "Cicada" and s.get("ratio") is not None), None)
    for s in summaries:
        if s["label"] == "Cicada" and s.get("ratio") is not None:
            out.append(("Cicada CPU per request ≤ wrk's in the same repetition (ratio ≤ 1.00)",
                        f"{s['ratio']:.2f}", s["ratio"] <= 1.00))
        if s["label"] == "Cicada, one stage + 2 thresholds" and s.get("ratio") is not None and plain is not None:
            # Issue 9: stages, the history and thresholds on cost at most 5 % more per request.
            out.append(("Cicada with a stage and thresholds: ≤ 1.05x the plain row's CPU per request",
                        f"{s['ratio'] / plain['ratio']:.2f}x", s["ratio"] / plain["ratio"] <= 1.05))
        headless = next((t for t in summaries if t["label"] == "Cicada, scenario file, headless" and t.get("ratio")), None)
        if s["label"] == "Cicada, scenario file, web UI watched" and s.get("ratio") is not None and headless is not None:
            # Issue 11: the web UI with a page open costs at most 5 % more per request than headless.
            out.append(("Cicada with the web UI and a watching page: ≤ 1.05x the headless scenario's CPU per request",
                        f"{s['ratio'] / headless['ratio']:.2f}x", s["ratio"] / headless["ratio"] <= 1.05))
    return out


def targets_case2(case, summaries):
    out = []
    for s in summaries:
        if s["tool"] == "cicada" and s.get("cpu_pct") is not None:
            out.append(("Cicada under 3 % of one core (whole run)", f"{s['cpu_pct']:.2f} %", s["cpu_pct"] < 3.0))
            if s.get("steady_cpu_pct") is not None:
                out.append(("Cicada under 3 % of one core (steady state)", f"{s['steady_cpu_pct']:.2f} %",
                            s["steady_cpu_pct"] < 3.0))
            out.append(("Cicada under 40 MiB peak RSS", f"{s['rss_mib']:.1f} MiB", s["rss_mib"] < 40.0))
    return out


def targets_case3(case, summaries):
    out = []
    for s in summaries:
        if s["tool"] != "cicada":
            continue
        if s.get("marginal_kib") is not None:
            out.append((f"{s['label']}: under 4 KiB RSS per additional user", f"{s['marginal_kib']:.2f} KiB",
                        s["marginal_kib"] < 4.0))
        lag = s.get("loop_lag_p99_ms")
        out.append((f"{s['label']}: loop-lag p99 under 5 ms", "n/a" if lag is None else f"{lag:.2f} ms",
                    None if lag is None else lag < 5.0))
    return out


def targets_case5(case, summaries):
    out = []
    for s in summaries:
        if s["label"] == "Cicada --pipeline 16" and s.get("ratio") is not None:
            out.append(("Cicada at depth 16: ≤ 1/3 of wrk's non-pipelined CPU per request (ratio ≤ 0.33)",
                        f"{s['ratio']:.2f}", s["ratio"] <= 1 / 3))
    return out


def baseline_key(g: Generator) -> str:
    """Rows that differ only in their user count share one 1-user baseline run."""
    job = Job("http://h", g.path, 3, 1, 1, g.depth, Path("out.json"), "cicada")
    return " ".join(g.argv(job))
