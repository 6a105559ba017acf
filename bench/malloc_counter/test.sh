#!/usr/bin/env bash
# Builds malloc_counter.so and checks it against test_counter.c (expects exactly 2000 worker allocations).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/../.work/malloc_counter}"
mkdir -p "$out"
cc -shared -fPIC -O2 -Wall -Wextra -o "$out/malloc_counter.so" "$here/malloc_counter.c" -ldl
cc -O2 -fno-builtin -Wall -o "$out/test_counter" "$here/test_counter.c" -pthread
rm -f "$out/test.out"
MALLOC_COUNTER_OUT="$out/test.out" LD_PRELOAD="$out/malloc_counter.so" "$out/test_counter"
line="$(cat "$out/test.out")"
echo "$line"
case "$line" in
  "malloc_counter: worker_mallocs=2000 "*) echo "malloc_counter: ok" ;;
  *) echo "malloc_counter: FAILED (expected worker_mallocs=2000)" >&2; exit 1 ;;
esac
# Without MALLOC_COUNTER_OUT the line goes to stderr.
LD_PRELOAD="$out/malloc_counter.so" "$out/test_counter" 2>&1 | grep -q '^malloc_counter: worker_mallocs=2000 ' \
  || { echo "malloc_counter: FAILED (stderr report)" >&2; exit 1; }
# A program that allocates early and heavily (python) must still run under it.
LD_PRELOAD="$out/malloc_counter.so" python3 -c 'import json; json.dumps(list(range(10000)))' 2>/dev/null
