#!/usr/bin/env bash
# Fuzzes the response parser with libFuzzer, AddressSanitizer and UndefinedBehaviorSanitizer.
#
#   fuzz/run.sh [SECONDS]     (default 60)
#
# Builds fuzz/out/fuzz_response_parser from fuzz_response_parser.c and the parser's C file, seeds a
# working corpus (fuzz/corpus-run, git-ignored) from the committed seeds in fuzz/corpus, fuzzes for
# SECONDS and writes crash, leak and timeout inputs to fuzz/out/ (git-ignored). Exits 0 when nothing was
# found, 1 when libFuzzer found a failure, 2 when no usable clang was found.
#
# A clang with libFuzzer is looked for in $CLANG, the Swift toolchain (/opt/swift/usr/bin/clang) and
# PATH. When none links -fsanitize=fuzzer, the seeds are replayed once under the sanitizers instead and
# the script says so: that checks the seeds, it is not fuzzing.
set -euo pipefail

seconds="${1:-60}"
case "$seconds" in
'' | *[!0-9]*)
    echo "usage: fuzz/run.sh [SECONDS]" >&2
    exit 2
    ;;
esac

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
core="$root/Sources/CCicadaCore"
out="$here/out"
work_corpus="$here/corpus-run"
mkdir -p "$out" "$work_corpus"

sources=("$here/fuzz_response_parser.c" "$core/response_parser.c")
common_flags=(-std=c11 -g -O1 -Wall -Wextra -fno-omit-frame-pointer -I"$core/include")
sanitizers="address,undefined"

# Picks the first clang that links a libFuzzer target; prefers lld, whose output gold warns about less.
pick_clang() {
    local probe="$out/probe.c" candidate
    printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$probe"
    for candidate in "${CLANG:-}" /opt/swift/usr/bin/clang clang clang-21 clang-20 clang-19 clang-18 clang-17; do
        [ -n "$candidate" ] || continue
        command -v "$candidate" >/dev/null 2>&1 || continue
        for linker in -fuse-ld=lld ""; do
            if "$candidate" $linker -fsanitize=fuzzer,$sanitizers "$probe" -o "$out/probe" >/dev/null 2>&1; then
                fuzz_clang="$candidate"
                fuzz_linker="$linker"
                return 0
            fi
        done
    done
    return 1
}

fuzz_clang=""
fuzz_linker=""
if ! pick_clang; then
    echo "fuzz/run.sh: no clang here links -fsanitize=fuzzer (tried \$CLANG, /opt/swift/usr/bin/clang, clang)." >&2
    rm -f "$out/probe" "$out/probe.c"
    cc="$(command -v clang || command -v gcc || true)"
    if [ -z "$cc" ]; then
        echo "fuzz/run.sh: no C compiler either; nothing was run." >&2
        exit 2
    fi
    echo "fuzz/run.sh: FUZZING SKIPPED. Replaying the seeds once under the sanitizers with $cc instead." >&2
    cat >"$out/replay_main.c" <<'EOF'
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int main(int argc, char **argv) {
    static uint8_t buffer[1 << 20];
    for (int i = 1; i < argc; i++) {
        FILE *file = fopen(argv[i], "rb");
        if (file == NULL) { perror(argv[i]); return 1; }
        size_t size = fread(buffer, 1, sizeof buffer, file);
        fclose(file);
        uint8_t *copy = malloc(size ? size : 1); /* exactly sized, so an over-read is caught */
        for (size_t j = 0; j < size; j++) copy[j] = buffer[j];
        LLVMFuzzerTestOneInput(copy, size);
        free(copy);
    }
    printf("replayed %d seeds\n", argc - 1);
    return 0;
}
EOF
    built=0
    for flags in "-fuse-ld=lld -fsanitize=$sanitizers" "-fsanitize=$sanitizers" ""; do
        # shellcheck disable=SC2086 # the flags are meant to split
        if "$cc" "${common_flags[@]}" $flags -fno-sanitize-recover=all "${sources[@]}" "$out/replay_main.c" \
            -o "$out/replay_response_parser" 2>/dev/null; then
            built=1
            [ -n "$flags" ] || echo "fuzz/run.sh: the sanitizers do not link either; replaying without them." >&2
            break
        fi
    done
    if [ "$built" -eq 0 ]; then
        echo "fuzz/run.sh: the replay driver does not build with $cc; nothing was run." >&2
        exit 2
    fi
    "$out/replay_response_parser" "$here"/corpus/*
    exit 0
fi
rm -f "$out/probe" "$out/probe.c"

binary="$out/fuzz_response_parser"
echo "fuzz/run.sh: building with $fuzz_clang $fuzz_linker"
"$fuzz_clang" $fuzz_linker "${common_flags[@]}" -fsanitize=fuzzer,"$sanitizers" -fno-sanitize-recover=all \
    "${sources[@]}" -o "$binary"

# Tokens that matter to the parser, so that mutations reach the interesting states sooner.
dict="$out/http.dict"
cat >"$dict" <<'EOF'
"HTTP/1.1 "
"HTTP/1.0 "
"200 OK"
"100 Continue"
"101"
"204"
"304"
"\x0d\x0a"
"\x0d\x0a\x0d\x0a"
"Content-Length: "
"content-length:"
"Transfer-Encoding: "
"chunked"
"Connection: "
"close"
"keep-alive"
", "
";"
"0\x0d\x0a\x0d\x0a"
"4611686018427387904"
"4000000000000000"
EOF

# New inputs go to the working corpus (first directory); the committed seeds are only read.
before="$(find "$out" -maxdepth 1 \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)"
status=0
"$binary" "$work_corpus" "$here/corpus" \
    -max_total_time="$seconds" \
    -dict="$dict" \
    -max_len=4096 \
    -timeout=10 \
    -print_final_stats=1 \
    -artifact_prefix="$out/" || status=$?
after="$(find "$out" -maxdepth 1 \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)"

if [ "$status" -ne 0 ] || [ "$after" -gt "$before" ]; then
    echo "fuzz/run.sh: libFuzzer found a failure (exit $status); inputs are in $out/" >&2
    exit 1
fi
echo "fuzz/run.sh: no failure in ${seconds}s"
