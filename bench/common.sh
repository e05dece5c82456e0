# Sourced by bench/run.sh, bench/profile.sh and bench/frame.sh: building
# the C programs, and running one oai-mock-server or one nginx with fixed
# answers for the whole script. Expects BENCH_DIR and BUILD_DIR to be set
# (and SOURCE_DIR, the library's tree, when it is not the repository); sets
# MOCK_URL or STATIC_URL, and WORK (a scratch directory removed at exit).

say() { printf '%s\n' "$*" >&2; }

# Builds the library, oai-mock-server, bench_oai and bench_curl (bench/ is
# configured as its own project, so the top-level options do not matter).
bench_build() {
    src=${SOURCE_DIR:-$(cd "$BENCH_DIR/.." && pwd)}
    # A build directory belongs to one tree (OAI_SOURCE_DIR is cached).
    cached=$(sed -n 's/^OAI_SOURCE_DIR:PATH=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null || true)
    if [ -n "$cached" ] && [ "$(cd "$cached" 2>/dev/null && pwd)" != "$src" ]; then
        say "$BUILD_DIR builds the library from $cached, not $src: use another --build-dir"
        exit 1
    fi
    say "== building in $BUILD_DIR (the library from $src)"
    cmake -S "$BENCH_DIR" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        "-DOAI_SOURCE_DIR=$src" >/dev/null
    cmake --build "$BUILD_DIR" -j "${BENCH_JOBS:-$(nproc 2>/dev/null || echo 2)}" \
        --target oai-mock-server bench_oai bench_curl >/dev/null
}

MOCK_PID=
NGINX_PID=
WORK=$(mktemp -d)

bench_cleanup() {
    if [ -n "$MOCK_PID" ]; then
        kill "$MOCK_PID" 2>/dev/null || true
        wait "$MOCK_PID" 2>/dev/null || true
    fi
    if [ -n "$NGINX_PID" ]; then
        kill "$NGINX_PID" 2>/dev/null || true
        tries=0 # not our child (it daemonized): wait for it to go
        while kill -0 "$NGINX_PID" 2>/dev/null && [ $tries -lt 50 ]; do
            sleep 0.1
            tries=$((tries + 1))
        done
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

# ---- nginx with fixed answers ----
#
# The issue's harness: nginx on loopback serving files, so that the server
# costs next to nothing and the clients' own costs show. Every file is
# served at STATIC_URL/NAME/v1/chat/completions (base URL STATIC_URL/NAME/v1)
# to any method: nginx's static module refuses POST with 405, which
# error_page turns into the file with status 200 (the request body is read
# and dropped). One worker, keep-alive without limits, a listen backlog of
# 4096 for the thousand connections of the streams workload.

# Writes the files into $WORK/static: completion.json, and stream-N.sse for
# each N given (N content chunks); stream-N.bytes holds the --stream-bytes
# the clients must be given for it.
bench_static_files() { # EVENTS...
    mkdir -p "$WORK/static"
    awk -v out="$WORK/static/completion.json" -f "$BENCH_DIR/static_answers.awk"
    for events in "$@"; do
        [ -f "$WORK/static/stream-$events.sse" ] && continue
        awk -v out="$WORK/static/stream-$events.sse" -v events="$events" \
            -f "$BENCH_DIR/static_answers.awk" >"$WORK/static/stream-$events.bytes"
    done
}

# Starts nginx (daemonized, its pid in NGINX_PID) on a free port above
# 20000; sets STATIC_URL.
bench_start_nginx() {
    NGINX=${BENCH_NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
    if [ ! -x "$NGINX" ]; then
        say "nginx not found: install it (Debian: apt-get install nginx-light), set"
        say "BENCH_NGINX=PATH, or use --server mock"
        exit 1
    fi
    dir=$WORK/nginx
    mkdir -p "$dir/tmp"
    user=
    [ "$(id -u)" = 0 ] && user="user root root;" # workers must read $WORK
    tries=0
    while :; do
        port=$(awk -v seed="$$$tries" 'BEGIN { srand(seed); print 20000 + int(rand() * 40000) }')
        cat >"$dir/nginx.conf" <<EOF
$user
daemon on;
worker_processes 1;
worker_rlimit_nofile 8192;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    sendfile on;
    tcp_nodelay on;
    keepalive_timeout 300s;
    keepalive_requests 1000000;
    client_max_body_size 0;
    server {
        listen 127.0.0.1:$port backlog=4096;
        error_page 405 =200 \$uri;
        location ~ ^/([^/]+\\.json)/v1/chat/completions\$ {
            default_type application/json;
            alias $WORK/static/\$1;
        }
        location ~ ^/([^/]+\\.sse)/v1/chat/completions\$ {
            default_type text/event-stream;
            alias $WORK/static/\$1;
        }
    }
}
EOF
        if "$NGINX" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" 2>"$dir/start.log"; then
            break
        fi
        tries=$((tries + 1))
        if [ $tries -ge 20 ]; then
            say "nginx did not start:"
            cat "$dir/start.log" "$dir/error.log" >&2 2>/dev/null
            exit 1
        fi
    done
    tries=0
    while [ ! -s "$dir/nginx.pid" ] && [ $tries -lt 100 ]; do
        sleep 0.05
        tries=$((tries + 1))
    done
    NGINX_PID=$(cat "$dir/nginx.pid")
    STATIC_URL=http://127.0.0.1:$port
    say "== nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///') at $STATIC_URL"
}
