#!/usr/bin/env bash
# Fuzzes the core's parsers with libFuzzer, AddressSanitizer and UndefinedBehaviorSanitizer, one
# target after another.
#
#   fuzz/run.sh [SECONDS] [TARGET...]     (default 60 seconds per target, every target)
#
# The targets: response_parser (fuzz_response_parser.c, the HTTP response parser), json_matcher
# (fuzz_json_matcher.c, JSON paths and the streaming JSON matcher against a reference parser) and
# cookie_jar (fuzz_cookie_jar.c, the cookie jar's layout and header). Each is built as
# fuzz/out/fuzz_TARGET, seeds a working corpus (fuzz/corpus-run/TARGET, git-ignored) from the committed
# seeds in fuzz/corpus/TARGET, fuzzes for SECONDS and writes crash, leak and timeout inputs to fuzz/out/
# as TARGET-crash-... (git-ignored). Exits 0 when nothing was found, 1 when libFuzzer found a failure
# in any target (the others still run), 2 when no usable clang was found or the arguments are wrong.
#
# A clang with libFuzzer is looked for in $CLANG, the Swift toolchain (/opt/swift/usr/bin/clang) and
# PATH. When none links -fsanitize=fuzzer, the seeds are replayed once under the sanitizers instead and
# the script says so: that checks the seeds, it is not fuzzing.
set -euo pipefail

all_targets=(response_parser json_matcher cookie_jar)

seconds="${1:-60}"
case "$seconds" in
'' | *[!0-9]*)
    echo "usage: fuzz/run.sh [SECONDS] [TARGET...]   (targets: ${all_targets[*]})" >&2
    exit 2
    ;;
esac
shift || true
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=("${all_targets[@]}")
for target in "${targets[@]}"; do
    case " ${all_targets[*]} " in
    *" $target "*) ;;
    *)
        echo "fuzz/run.sh: unknown target '$target' (targets: ${all_targets[*]})" >&2
        exit 2
        ;;
    esac
done

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
core="$root/Sources/CCicadaCore"
out="$here/out"
mkdir -p "$out"

# The C files each target is built from. fuzz_cookie_jar.c includes cookie_jar.c itself, to check the
# arena's layout through its private helpers.
target_sources() {
    case "$1" in
    response_parser) echo "$here/fuzz_response_parser.c $core/response_parser.c" ;;
    json_matcher) echo "$here/fuzz_json_matcher.c $core/json_path.c $core/json_matcher.c" ;;
    cookie_jar) echo "$here/fuzz_cookie_jar.c" ;;
    esac
}

# Tokens that matter to each target, so that mutations reach the interesting states sooner.
write_dictionary() {
    case "$1" in
    response_parser)
        cat <<'EOF'
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
        ;;
    json_matcher)
        cat <<'EOF'
"{"
"}"
"["
"]"
":"
","
"\"a\":"
"\"b\":"
"\"x\":"
"\"items\":"
"\"id\":"
"\"data\":"
"\"name\":"
"\"odd.key\":"
"\"\xc3\xa9\":"
"true"
"false"
"null"
"-0.5e+10"
"\\u00e9"
"\\ud83d\\ude00"
"\\ud83d"
"\\"
"\xef\xbb\xbf"
"\xf0\x9f\x98\x80"
"[*]"
"[\""
"\"]"
EOF
        ;;
    cookie_jar)
        cat <<'EOF'
"; Path=/"
"; Path=/a"
"; Domain=example.com"
"; Domain=.api.example.com"
"; Max-Age=0"
"; Max-Age=60"
"; Expires=Sun, 06 Nov 1994 08:49:37 GMT"
"; Expires=Sunday, 06-Nov-94 08:49:37 GMT"
"; Expires=Sun Nov  6 08:49:37 1994"
"; Secure"
"; HttpOnly"
"; SameSite=Lax"
"session="
"\x0a\x00"
"\x0a\x10/a/b"
EOF
        ;;
    esac
}

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
    for target in "${targets[@]}"; do
        built=0
        for flags in "-fuse-ld=lld -fsanitize=$sanitizers" "-fsanitize=$sanitizers" ""; do
            # shellcheck disable=SC2046,SC2086 # the flags and sources are meant to split
            if "$cc" "${common_flags[@]}" $flags -fno-sanitize-recover=all $(target_sources "$target") \
                "$out/replay_main.c" -o "$out/replay_$target" 2>/dev/null; then
                built=1
                [ -n "$flags" ] || echo "fuzz/run.sh: the sanitizers do not link either; replaying without them." >&2
                break
            fi
        done
        if [ "$built" -eq 0 ]; then
            echo "fuzz/run.sh: the replay driver for $target does not build with $cc; nothing was run." >&2
            exit 2
        fi
        echo "fuzz/run.sh: $target"
        "$out/replay_$target" "$here/corpus/$target"/*
    done
    exit 0
fi
rm -f "$out/probe" "$out/probe.c"

count_artifacts() {
    find "$out" -maxdepth 1 \( -name '*crash-*' -o -name '*leak-*' -o -name '*timeout-*' -o -name '*oom-*' \) | wc -l
}

failed=()
for target in "${targets[@]}"; do
    binary="$out/fuzz_$target"
    echo "fuzz/run.sh: building $target with $fuzz_clang $fuzz_linker"
    # shellcheck disable=SC2046 # the sources are meant to split
    "$fuzz_clang" $fuzz_linker "${common_flags[@]}" -fsanitize=fuzzer,"$sanitizers" -fno-sanitize-recover=all \
        $(target_sources "$target") -o "$binary"
    dict="$out/$target.dict"
    write_dictionary "$target" >"$dict"
    work_corpus="$here/corpus-run/$target"
    mkdir -p "$work_corpus"

    # New inputs go to the working corpus (first directory); the committed seeds are only read.
    before="$(count_artifacts)"
    status=0
    "$binary" "$work_corpus" "$here/corpus/$target" \
        -max_total_time="$seconds" \
        -dict="$dict" \
        -max_len=4096 \
        -timeout=10 \
        -print_final_stats=1 \
        -artifact_prefix="$out/$target-" || status=$?
    after="$(count_artifacts)"

    if [ "$status" -ne 0 ] || [ "$after" -gt "$before" ]; then
        echo "fuzz/run.sh: libFuzzer found a failure in $target (exit $status); inputs are in $out/" >&2
        failed+=("$target")
    fi
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz/run.sh: failures in: ${failed[*]}" >&2
    exit 1
fi
echo "fuzz/run.sh: no failure in ${seconds}s for each of: ${targets[*]}"
