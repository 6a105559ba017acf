"""The micro case: bench/micro/'s C microbenchmarks of the core, built and run once, quoted in the
report as they print."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from common import BENCH, WORK, log

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
