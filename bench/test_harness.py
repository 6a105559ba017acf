#!/usr/bin/env python3
"""Tests for the bench harness (bench/harness.py and its modules) that need no server: each tool's
real output (Debian 12 versions), clean and with failures, through its parser; the command lines; the
table helpers.

    python3 bench/test_harness.py
"""

import contextlib
import io
import json
import sys
import tempfile
import unittest
from pathlib import Path
from types import SimpleNamespace

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))
from cases import baseline_key, build_cases  # noqa: E402
from cli import parse_args  # noqa: E402
from commands import (H2LOAD_TLS_CLOSE_RPS, ab_argv, cicada_argv, h2load_argv,  # noqa: E402
                      wrk_pipeline_argv)
from common import BENCH  # noqa: E402
from model import Job, Measurement  # noqa: E402
from nginx import Nginx  # noqa: E402
from parsers import parse_ab, parse_cicada, parse_h2load, parse_hey, parse_locust, parse_wrk  # noqa: E402
from report import table_throughput  # noqa: E402
from summary import med_range, summarize  # noqa: E402

JOB = Job(base="http://127.0.0.1:8080", path="/", duration=10, users=50, rate=50, depth=1,
          out=Path("/nonexistent/out.json"), cicada="/usr/bin/cicada")

WRK_OK = """Running 3s test @ http://127.0.0.1:48017/
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.19ms    1.62ms  24.52ms   84.99%
    Req/Sec    55.21k     7.47k   66.67k    76.67%
  164987 requests in 3.00s, 38.08MB read
Requests/sec:  54987.90
Transfer/sec:     12.69MB
"""

WRK_FAIL = """Running 1s test @ http://127.0.0.1:18095/nope
  1 threads and 2 connections
  902 requests in 1.00m, 458.05KB read
  Socket errors: connect 0, read 3, write 1, timeout 2
  Non-2xx or 3xx responses: 902
Requests/sec:    901.59
"""

H2LOAD_OK = """Application protocol: http/1.1
Main benchmark duration is over for thread #0. Stopping all clients.

finished in 3.01s, 37945.33 req/s, 8.76MB/s
requests: 113836 total, 113886 started, 113836 done, 113836 succeeded, 0 failed, 0 errored, 0 timeout
status codes: 113836 2xx, 0 3xx, 0 4xx, 0 5xx
"""

H2LOAD_FAIL = """finished in 144.87ms, 345.14 req/s, 34.92KB/s
requests: 50 total, 50 started, 50 done, 0 succeeded, 50 failed, 0 errored, 0 timeout
status codes: 0 2xx, 0 3xx, 50 4xx, 0 5xx
"""

HEY_OK = """
Summary:
  Total:\t2.0006 secs
  Requests/sec:\t44824.6132

Status code distribution:
  [200]\t89678 responses



"""

HEY_FAIL = """
Summary:
  Total:\t1.0012 secs

Status code distribution:
  [200]\t100 responses
  [404]\t1259 responses

Error distribution:
  [43]\tGet "http://127.0.0.1:1/": dial tcp 127.0.0.1:1: connect: connection refused
  [2]\tGet "http://127.0.0.1:1/": context deadline exceeded
"""

AB_OK = """Concurrency Level:      50
Time taken for tests:   2.000 seconds
Complete requests:      277482
Failed requests:        0
Keep-Alive requests:    277482
"""

AB_FAIL = """Time taken for tests:   0.054 seconds
Complete requests:      50
Failed requests:        3
Non-2xx responses:      50
"""


class Parsers(unittest.TestCase):
    def test_wrk(self):
        p = parse_wrk(WRK_OK, JOB)
        self.assertEqual((p.requests, p.failures, p.seconds), (164987, 0, 3.0))
        p = parse_wrk(WRK_FAIL, JOB)
        self.assertEqual((p.requests, p.failures, p.seconds), (902, 6 + 902, 60.0))

    def test_h2load(self):
        p = parse_h2load(H2LOAD_OK, JOB)
        self.assertEqual((p.requests, p.failures, p.seconds), (113836, 0, 3.01))
        p = parse_h2load(H2LOAD_FAIL, JOB)
        self.assertEqual((p.requests, p.failures), (50, 50))
        self.assertAlmostEqual(p.seconds, 0.14487)

    def test_hey(self):
        p = parse_hey(HEY_OK, JOB)
        self.assertEqual((p.requests, p.failures, p.seconds), (89678, 0, 2.0006))
        p = parse_hey(HEY_FAIL, JOB)
        self.assertEqual((p.requests, p.failures), (1359, 1259 + 45))

    def test_ab(self):
        p = parse_ab(AB_OK, JOB)
        self.assertEqual((p.requests, p.failures, p.seconds), (277482, 0, 2.0))
        p = parse_ab(AB_FAIL, JOB)
        self.assertEqual((p.requests, p.failures), (50, 53))

    def test_garbage_is_an_error_not_a_zero(self):
        for parse in (parse_wrk, parse_h2load, parse_hey, parse_ab, parse_locust, parse_cicada):
            with self.assertRaises(ValueError, msg=parse.__name__):
                parse("unable to connect to 127.0.0.1:1 Connection refused\n", JOB)

    def test_locust_json_file(self):
        with tempfile.TemporaryDirectory() as d:
            out = Path(d) / "run.json"
            out.write_text(json.dumps([
                {"name": "/", "method": "GET", "num_requests": 100, "num_failures": 2,
                 "start_time": 1000.0, "last_request_timestamp": 1010.0},
                {"name": "/b", "method": "GET", "num_requests": 50, "num_failures": 0,
                 "start_time": 1000.5, "last_request_timestamp": 1009.0},
            ]))
            p = parse_locust("", SimpleNamespace(out=out))
        self.assertEqual((p.requests, p.failures, p.seconds), (150, 2, 10.0))

    def test_cicada_json(self):
        with tempfile.TemporaryDirectory() as d:
            out = Path(d) / "run.json"
            out.write_text(json.dumps({
                "totals": {"requests": 105751, "failures": 1, "cancelled": 3, "duration_s": 2.05, "rps": 51681.1},
                "endpoints": [], "generator": {"loop_lag_p99_ms": 0.4}}))
            p = parse_cicada("", SimpleNamespace(out=out))
            self.assertEqual((p.requests, p.failures, p.seconds), (105751, 1, 2.05))
            self.assertEqual(p.extra, {"loop_lag_p99_ms": 0.4, "cancelled": 3})
            # The loop lag is optional.
            out.write_text(json.dumps({"totals": {"requests": 5, "failures": 0, "duration_s": 1.0}}))
            self.assertEqual(parse_cicada("", SimpleNamespace(out=out)).extra, {})
            # An https run counts its handshakes; a plain one says 0 and they are left out.
            out.write_text(json.dumps({"totals": {"requests": 1543, "failures": 0, "duration_s": 1.02,
                                                  "tls_handshakes": 1543, "tls_resumed": 1541}}))
            self.assertEqual(parse_cicada("", SimpleNamespace(out=out)).extra,
                             {"tls_handshakes": 1543, "tls_resumed": 1541})
            out.write_text(json.dumps({"totals": {"requests": 5, "duration_s": 1.0, "tls_handshakes": 0,
                                                  "tls_resumed": 0}}))
            self.assertEqual(parse_cicada("", SimpleNamespace(out=out)).extra, {})


def options(*argv):
    return parse_args(list(argv))


class Commands(unittest.TestCase):
    def test_ab_count_comes_after_time_limit(self):
        argv = ab_argv("-k")(JOB)
        self.assertLess(argv.index("-t"), argv.index("-n"))

    def test_cicada_url_run(self):
        self.assertEqual(cicada_argv("url")(JOB), [
            "/usr/bin/cicada", "run", "http://127.0.0.1:8080/", "-u", "50", "-r", "50", "-t", "10s",
            "--threads", "1", "--headless", "--json", "/nonexistent/out.json"])

    def test_cicada_scenario_run(self):
        argv = cicada_argv("between.yaml")(JOB)
        self.assertEqual(argv[2], str(BENCH / "scenarios" / "between.yaml"))
        self.assertEqual(argv[3:5], ["--host", "http://127.0.0.1:8080"])

    def test_pipeline_depth(self):
        job = Job(**{**JOB.__dict__, "depth": 16})
        self.assertIn("--pipeline", cicada_argv("url", pipeline=True)(job))
        self.assertEqual(wrk_pipeline_argv(job)[-2:], ["--", "16"])
        self.assertIn("-m16", h2load_argv(job))

    def test_cases(self):
        keys = [c.key for c in build_cases(options())]
        self.assertEqual(keys, ["1", "2", "3", "4", "5", "6", "7", "8", "9"])
        self.assertEqual(options().case, keys + ["malloc", "micro"])

    def test_case9_holds_one_rate_in_both_tools(self):
        self.assertEqual(options("--case", "arrival").case, ["9"])
        case9 = next(c for c in build_cases(options()) if c.key == "9")
        h2load, cicada, _ = case9.generators
        self.assertEqual(case9.reference, h2load.label)
        self.assertIn("--rps=400", h2load.argv(JOB), "50 clients at 400/s each make 20,000/s")
        argv = cicada.argv(JOB)
        for flag, value in (("--arrival-rate", "20000"), ("--max-users", "50"), ("--pre-allocated-users", "50")):
            self.assertEqual(argv[argv.index(flag) + 1], value)
        self.assertNotIn("-u", argv, "the open model takes no user count")

    def test_case8_by_name_and_its_hook_row(self):
        self.assertEqual(options("--case", "templated").case, ["8"])
        case8 = next(c for c in build_cases(options()) if c.key == "8")
        hook = next(g for g in case8.generators if "hook" in g.label)
        self.assertEqual(hook.needs, "cicada-hook-bench")
        argv = hook.argv(JOB)
        self.assertEqual(Path(argv[0]).name, "cicada-hook-bench")
        self.assertEqual(Path(argv[0]).parent, Path(JOB.cicada).parent, "built beside cicada")
        self.assertEqual(argv[1], str(BENCH / "scenarios" / "templated.yaml"))
        self.assertEqual(argv[-1], "--hook")

    def test_https_cases_by_name_or_number(self):
        self.assertEqual(options("--case", "https-keepalive", "--case", "7,micro").case, ["6", "7", "micro"])
        self.assertEqual(options("--case", "https-new-connection").case, ["7"])
        with self.assertRaises(SystemExit), contextlib.redirect_stderr(io.StringIO()):
            options("--case", "https")

    def test_smoke_has_no_https_and_no_micro(self):
        self.assertEqual(options("--smoke", "--case", "1,6,7,micro").case, ["1"])

    def test_https_rows(self):
        cases = {c.key: c for c in build_cases(options())}
        for key in ("6", "7"):
            self.assertTrue(all(g.tls for g in cases[key].generators), key)
        self.assertTrue(cases["7"].handshakes)
        self.assertTrue(all(g.path == "/close" for g in cases["7"].generators))
        job = Job(**{**JOB.__dict__, "base": "https://127.0.0.1:8443", "path": "/close",
                     "ca_file": "/tmp/ca.pem"})
        resume, full = [g for g in cases["7"].generators if g.tool == "cicada"]
        argv = resume.argv(job)
        self.assertEqual(argv[2], "https://127.0.0.1:8443/close")
        self.assertEqual(argv[argv.index("--ca-file") + 1], "/tmp/ca.pem")
        self.assertNotIn("--no-tls-resume", argv)
        self.assertIn("--no-tls-resume", full.argv(job))
        h2load = [g for g in cases["7"].generators if g.tool == "h2load"][0]
        self.assertEqual(h2load.argv(job)[-3:], ["-n", str(H2LOAD_TLS_CLOSE_RPS * 10),
                                                 "https://127.0.0.1:8443/close"])
        # A plain-HTTP run gets no --ca-file even when one is known.
        self.assertNotIn("--ca-file", cicada_argv("url")(Job(**{**JOB.__dict__, "ca_file": "/tmp/ca.pem"})))

    def test_smoke_is_short_and_has_no_locust(self):
        opts = options("--smoke")
        self.assertEqual((opts.case, opts.reps), (["1", "2"], 1))
        for case in build_cases(opts)[:2]:
            self.assertEqual(case.duration, 3)
            self.assertNotIn("locust", {g.tool for g in case.generators})
        self.assertEqual(build_cases(opts)[1].generators[0].users, 200)

    def test_every_row_has_a_unique_label_and_the_reference_exists(self):
        for case in build_cases(options()):
            labels = [g.label for g in case.generators]
            self.assertEqual(len(labels), len(set(labels)), case.key)
            if case.reference:
                self.assertIn(case.reference, labels)

    def test_rows_differing_in_users_share_a_baseline(self):
        case3 = build_cases(options())[2]
        self.assertEqual(len({baseline_key(g) for g in case3.generators}), 1)


class NginxTlsLog(unittest.TestCase):
    def test_counts_requests_and_resumed_since_an_offset(self):
        nginx = Nginx.__new__(Nginx)
        with tempfile.TemporaryDirectory() as d:
            nginx.dir = Path(d)
            self.assertEqual(nginx.tls_log_offset(), 0)
            self.assertEqual(nginx.tls_log_since(0), (0, 0, {}))
            t13, t12 = b"TLSv1.3 TLS_AES_128_GCM_SHA256 X25519\n", b"TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256 X25519\n"
            nginx.tls_log.write_bytes(b". " + t13 + b"r " + t13)
            offset = nginx.tls_log_offset()
            with open(nginx.tls_log, "ab") as f:
                f.write(b". " + t12 + (b"r " + t13) * 5)
            self.assertEqual(nginx.tls_log_since(offset), (6, 5, {
                "TLSv1.3 TLS_AES_128_GCM_SHA256 X25519": 5, "TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256 X25519": 1}))


class Report(unittest.TestCase):
    def test_handshake_columns(self):
        case = {c.key: c for c in build_cases(options())}["7"]
        cicada = case.generators[2]
        r = Measurement("7", cicada.label, "cicada", 1, 50, wall_s=10.5, user_s=1.0, requests=20000,
                        tool_seconds=10.0, extra={"tls_handshakes": 20000, "tls_resumed": 19950},
                        server_requests=20010, server_resumed=19960)
        self.assertEqual(r.handshakes_per_s, 2000.0)
        self.assertAlmostEqual(r.resumed_pct, 99.75)
        wrk = Measurement("7", "wrk", "wrk", 1, 50, wall_s=10, user_s=1.0, requests=30000, tool_seconds=10)
        self.assertEqual((wrk.handshakes_per_s, wrk.resumed_pct), (3000.0, None))
        s = summarize(case, cicada, [r], {}, None)
        head, _, row = table_throughput(case, [s])
        self.assertIn("handshakes/s", head)
        self.assertEqual(len(head.split("|")), len(row.split("|")))
        self.assertIn("| 2000 | 99.8 | 99.8 |", row)


    def test_med_range(self):
        self.assertEqual(med_range([3.0, 1.0, 2.0], ".1f"), "2.0 (1.0–3.0)")
        self.assertEqual(med_range([2.0], ".1f"), "2.0")
        self.assertEqual(med_range([None], ".1f"), "–")

    def test_ratio_is_within_the_same_repetition(self):
        case = build_cases(options())[0]
        wrk, cicada = case.generators[0], case.generators[-1]

        def m(gen, rep, cpu, requests):
            r = Measurement("1", gen.label, gen.tool, rep, 50, wall_s=10, user_s=cpu, requests=requests)
            return r

        wrk_runs = [m(wrk, 1, 1.0, 100000), m(wrk, 2, 2.0, 100000)]  # 10 and 20 µs/request
        cic_runs = [m(cicada, 1, 0.9, 100000), m(cicada, 2, 1.8, 100000)]  # 9 and 18 µs/request
        refs = {r.rep: r for r in wrk_runs}
        s = summarize(case, cicada, cic_runs, refs, None)
        self.assertEqual([round(x, 6) for x in s["ratios"]], [0.9, 0.9])
        self.assertAlmostEqual(s["ratio"], 0.9)


if __name__ == "__main__":
    unittest.main()
