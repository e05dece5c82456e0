# Sourced by bench/run.sh, bench/profile.sh and bench/frame.sh: building
# the C programs and running one oai-mock-server for the whole script.
# Expects BENCH_DIR and BUILD_DIR to be set; sets MOCK_URL and WORK (a
# scratch directory removed at exit).

say() { printf '%s\n' "$*" >&2; }

# Builds the library, oai-mock-server, bench_oai and bench_curl (bench/ is
# configured as its own project, so the top-level options do not matter).
bench_build() {
    say "== building in $BUILD_DIR"
    cmake -S "$BENCH_DIR" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$BUILD_DIR" -j "$(nproc 2>/dev/null || echo 2)" \
        --target oai-mock-server bench_oai bench_curl >/dev/null
}

MOCK_PID=
WORK=$(mktemp -d)

bench_cleanup() {
    if [ -n "$MOCK_PID" ]; then
        kill "$MOCK_PID" 2>/dev/null || true
        wait "$MOCK_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

# Starts oai-mock-server (or $BENCH_MOCK_SERVER) on an ephemeral port; sets
# MOCK_URL. MOCK_PIN, when set, is a command that runs it ("taskset -c 1").
bench_start_mock() {
    # shellcheck disable=SC2086 # MOCK_PIN is a command and its arguments
    ${MOCK_PIN:-} "${BENCH_MOCK_SERVER:-$BUILD_DIR/oai/tests/oai-mock-server}" --port 0 --port-file "$WORK/port" >"$WORK/url" &
    MOCK_PID=$!
    tries=0
    while [ ! -s "$WORK/port" ]; do
        tries=$((tries + 1))
        if [ $tries -gt 100 ] || ! kill -0 "$MOCK_PID" 2>/dev/null; then
            say "oai-mock-server did not start"
            exit 1
        fi
        sleep 0.05
    done
    MOCK_URL=$(head -n 1 "$WORK/url")
    say "== oai-mock-server at $MOCK_URL"
}
