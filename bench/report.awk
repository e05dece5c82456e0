# Turns the RESULT lines of bench/run.sh (several runs of each
# implementation and workload) into one Markdown table: for each metric the
# median over the runs of each implementation, and the ratios oai/libcurl
# and oai/node.
#
#   awk [-v concurrency=64] -f report.awk results.txt
#
# A RESULT line is "RESULT impl=I workload=W requests=N events=N bytes=N
# wall_s=X user_s=X sys_s=X rss_kb=N" (see bench_common.c and bench_node.mjs).

function median(key,    n, i, j, v, tmp) {
    n = count[key]
    if (n == 0)
        return ""
    for (i = 1; i <= n; i++)
        v[i] = values[key, i]
    for (i = 2; i <= n; i++) {          # insertion sort: n is tiny
        tmp = v[i]
        for (j = i - 1; j >= 1 && v[j] > tmp; j--)
            v[j + 1] = v[j]
        v[j + 1] = tmp
    }
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}

function record(impl, workload, metric, value,    key) {
    key = impl SUBSEP workload SUBSEP metric
    values[key, ++count[key]] = value
}

function fmt(v) {
    if (v == "")
        return "n/a"
    if (v >= 100)
        return sprintf("%.0f", v)
    if (v >= 10)
        return sprintf("%.1f", v)
    if (v >= 1)
        return sprintf("%.2f", v)
    return sprintf("%.3g", v)
}

function ratio(a, b) {
    return a == "" || b == "" || b == 0 ? "n/a" : sprintf("%.2f", a / b)
}

function row(workload, label, metric,    c, o, n) {
    c = median("libcurl" SUBSEP workload SUBSEP metric)
    o = median("oai" SUBSEP workload SUBSEP metric)
    n = median("node" SUBSEP workload SUBSEP metric)
    if (c == "" && o == "" && n == "")
        return
    printf "| %s | %s | %s | %s | %s | %s | %s |\n", title[workload], label,
           fmt(c), fmt(o), fmt(n), ratio(o, c), ratio(o, n)
}

/^RESULT / {
    delete f
    for (i = 2; i <= NF; i++) {
        split($i, kv, "=")
        f[kv[1]] = kv[2]
    }
    impl = f["impl"]
    w = f["workload"]
    wall = f["wall_s"] + 0
    user = f["user_s"] + 0
    cpu = user + f["sys_s"]
    req = f["requests"] + 0
    ev = f["events"] + 0
    record(impl, w, "rss_mib", f["rss_kb"] / 1024)
    record(impl, w, "wall_s", wall)
    if (w == "stream") {
        record(impl, w, "cpu_ms", 1000 * cpu)
        if (ev > 0) {
            record(impl, w, "events_per_s", wall > 0 ? ev / wall : 0)
            record(impl, w, "user_us_per_event", 1e6 * user / ev)
        }
        events[w] = ev
        bytes[w] = f["bytes"]
    } else if (req > 0) {
        record(impl, w, "req_per_s", wall > 0 ? req / wall : 0)
        record(impl, w, "cpu_us_per_req", 1e6 * cpu / req)
        requests[w] = req
    }
}

END {
    title["sequential"] = sprintf("sequential: %d calls, 1 connection", requests["sequential"])
    title["stream"] = sprintf("stream: %.1f MB answer, %d events", bytes["stream"] / 1e6, events["stream"])
    title["concurrent"] = sprintf("concurrent: %d calls, %d in flight", requests["concurrent"], concurrency ? concurrency : 64)
    print "| workload | metric | libcurl | oai | node | oai/libcurl | oai/node |"
    print "|---|---|---:|---:|---:|---:|---:|"
    row("sequential", "requests/s (higher is better)", "req_per_s")
    row("sequential", "CPU µs per request (user + sys)", "cpu_us_per_req")
    row("sequential", "peak RSS MiB", "rss_mib")
    row("stream", "wall time s", "wall_s")
    row("stream", "events/s (higher is better)", "events_per_s")
    row("stream", "CPU ms (user + sys)", "cpu_ms")
    row("stream", "user CPU µs per event", "user_us_per_event")
    row("stream", "peak RSS MiB", "rss_mib")
    row("concurrent", "wall time s", "wall_s")
    row("concurrent", "CPU µs per request (user + sys)", "cpu_us_per_req")
    row("concurrent", "peak RSS MiB", "rss_mib")
}
