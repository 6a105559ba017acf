#!/usr/bin/env bash
# Builds the microbenchmarks of bench/micro/ into bench/.work/micro/, against the core's C files as
# they are in the working tree (not the Swift build), with the flags Package.swift gives the core.
#   bench/micro/build.sh            then   bench/.work/micro/parser_bench, bench/.work/micro/idle_users_bench
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="${MICRO_OUT:-$repo/bench/.work/micro}"
mkdir -p "$out"
core=("$repo"/Sources/CCicadaCore/*.c)
for bench in parser_bench idle_users_bench; do
  cc -O2 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -fno-strict-aliasing -I "$repo/Sources/CCicadaCore/include" \
    -o "$out/$bench" "$here/$bench.c" "${core[@]}" -luv -lssl -lcrypto -lpthread
done
echo "$out"
