#!/usr/bin/env python3
"""bench/run's entry point: the generator-overhead benchmark, Cicada side by side with wrk, h2load,
hey, ab and Locust (see bench/README.md).

It starts its own nginx on 127.0.0.1 pinned to one CPU, runs every generator pinned to the other, and
measures what each generator costs: CPU time (user + sys, from the child's rusage) per request, peak
RSS, and nginx's CPU over the same interval so that a reader sees which side was the limit. Results
are medians over repetitions, with ratios to a reference generator (wrk) computed within each
repetition.

The harness is split by job, one module each, beside this file: cli.py drives the run, and
bench/README.md ("The harness's modules") says what each of the others does. To add a case, add an
entry to cases.build_cases(); to add a peer, write a command builder (commands.py) and a parser for
its output (parsers.py).

Standard library only.
"""

import sys

from cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
