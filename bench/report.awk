# Turns the lines bench/run.sh collected into the two Markdown tables of the
# speed issue: the measurements of every implementation, then the ratios
# with the issue's targets.
#
#   awk [-v streams=1000] [-v stream_mb=11.0] -f report.awk results.txt
#
# Input lines:
#   RESULT impl=I workload=W requests=N events=N bytes=N wall_s=X user_s=X
#          sys_s=X rss_kb=N rss_base_kb=N heap_kb=N receiving=N
#                                                        (one timed run)
#   IR impl=I workload=W units=N ir=N                    (one callgrind run)
# Times are medians over the runs; instructions per request (or event) are
# (ir2 - ir1) / (units2 - units1) of the smallest and largest callgrind run.
# A ratio of two timed figures is the median of the ratios within each run:
# run.sh interleaves the implementations, so the two programs of one run
# met about the same load from the rest of the machine.

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

# The median over the runs i of a_i / b_i (the i-th runs of two
# implementations), or of b_i / a_i when invert is set.
function paired_ratio(impl_a, impl_b, workload, metric, invert,    ka, kb, n, i, key, va, vb) {
    if (metric == "ir")
        return invert ? ratio(get(impl_b, workload, metric), get(impl_a, workload, metric)) \
                      : ratio(get(impl_a, workload, metric), get(impl_b, workload, metric))
    ka = impl_a SUBSEP workload SUBSEP metric
    kb = impl_b SUBSEP workload SUBSEP metric
    n = count[ka] < count[kb] ? count[ka] : count[kb]
    key = "paired" SUBSEP impl_a SUBSEP impl_b SUBSEP workload SUBSEP metric SUBSEP invert
    if (!(key in count)) {
        for (i = 1; i <= n; i++) {
            va = values[ka, i]
            vb = values[kb, i]
            if (va > 0 && vb > 0)
                values[key, ++count[key]] = invert ? vb / va : va / vb
        }
    }
    return median(key)
}

function get(impl, workload, metric) {
    if (metric == "ir")
        return ir_per_unit(impl, workload)
    return median(impl SUBSEP workload SUBSEP metric)
}

# Instructions per unit from the callgrind runs of impl on workload.
function ir_per_unit(impl, workload,    key, lo, hi) {
    key = impl SUBSEP workload
    if (!(key in ir_min_units) || ir_max_units[key] <= ir_min_units[key])
        return ""
    lo = ir_at[key, ir_min_units[key]]
    hi = ir_at[key, ir_max_units[key]]
    return (hi - lo) / (ir_max_units[key] - ir_min_units[key])
}

# 1234567 -> 1,234,567 (integers), else 3 significant digits.
function commas(v,    s, neg, out) {
    neg = v < 0
    s = sprintf("%.0f", neg ? -v : v)
    out = ""
    while (length(s) > 3) {
        out = "," substr(s, length(s) - 2) out
        s = substr(s, 1, length(s) - 3)
    }
    return (neg ? "-" : "") s out
}

function fmt(v) {
    if (v == "")
        return "n/a"
    if (v >= 1000 || v <= -1000)
        return commas(v)
    if (v >= 100 || v <= -100)
        return sprintf("%.0f", v)
    if (v >= 10 || v <= -10)
        return sprintf("%.1f", v)
    if (v >= 1 || v <= -1)
        return sprintf("%.2f", v)
    return sprintf("%.3g", v)
}

function ratio_text(r) {
    return r == "" ? "n/a" : r >= 100 ? sprintf("%.0f×", r) : sprintf("%.3g×", r)
}

function ratio(a, b) {
    return a == "" || b == "" || b == 0 ? "" : a / b
}

function verdict(value, op, limit) {
    if (value == "")
        return "n/a"
    if (op == ">=")
        return value >= limit ? "yes" : "**no**"
    return value <= limit ? "yes" : "**no**"
}

function label(impl, workload) {
    if (impl == "libcurl")
        return workload == "sequential" ? "raw libcurl" : workload == "streams" ? "libcurl multi" : "libcurl, scanner (the old floor)"
    if (impl == "libcurl-lines")
        return "libcurl, splitting lines only"
    if (impl == "libcurl-jansson")
        return "libcurl + jansson per chunk"
    if (impl == "node")
        return "npm SDK (Node)"
    return impl
}

function measurement_row(impl, workload) {
    if (get(impl, workload, "wall_s") == "" && get(impl, workload, "ir") == "")
        return
    printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", title[workload], label(impl, workload),
           fmt(get(impl, workload, "rate")), fmt(get(impl, workload, "cpu_us")),
           fmt(get(impl, workload, "ir")), fmt(get(impl, workload, "wall_s")),
           fmt(get(impl, workload, "rss_mib")),
           workload == "streams" ? fmt(get(impl, workload, "heap_kib_call")) : "",
           workload == "streams" ? fmt(get(impl, workload, "rss_kib_call")) : ""
}

# A row of the second table: what, oai's value, the reference's value, the
# ratio, and the verdict ("" when there is no target).
function target_row(workload, what, oai_value, ref_value, r, met) {
    printf "| %s | %s | %s | %s | %s | %s |\n", title[workload], what, fmt(oai_value),
           ref_value == "-" ? "" : fmt(ref_value), r == "-" ? "" : ratio_text(r), met
}

/^RESULT / || /^IR / {
    delete f
    for (i = 2; i <= NF; i++) {
        split($i, kv, "=")
        f[kv[1]] = kv[2]
    }
}

/^IR / {
    key = f["impl"] SUBSEP f["workload"]
    u = f["units"] + 0
    ir_at[key, u] = f["ir"] + 0
    if (!(key in ir_min_units) || u < ir_min_units[key])
        ir_min_units[key] = u
    if (!(key in ir_max_units) || u > ir_max_units[key])
        ir_max_units[key] = u
    next
}

/^RESULT / {
    impl = f["impl"]
    w = f["workload"]
    wall = f["wall_s"] + 0
    cpu = f["user_s"] + f["sys_s"]
    req = f["requests"] + 0
    ev = f["events"] + 0
    units = w == "sequential" ? req : ev
    record(impl, w, "wall_s", wall)
    record(impl, w, "rss_mib", f["rss_kb"] / 1024)
    if (units > 0) {
        record(impl, w, "rate", wall > 0 ? units / wall : 0)
        record(impl, w, "cpu_us", 1e6 * cpu / units)
    }
    if (w == "streams" && req > 0) {
        if (f["heap_kb"] != "" && f["heap_kb"] >= 0)
            record(impl, w, "heap_kib_call", f["heap_kb"] / req)
        if (f["rss_base_kb"] != "" && f["rss_base_kb"] >= 0)
            record(impl, w, "rss_kib_call", (f["rss_kb"] - f["rss_base_kb"]) / req)
        if (f["receiving"] != "" && f["receiving"] >= 0)
            record(impl, w, "receiving", f["receiving"])
    }
    requests[w] = req
    events[w] = ev
    bytes[w] = f["bytes"]
}

END {
    title["sequential"] = sprintf("sequential: %s requests, 1 connection", commas(requests["sequential"]))
    title["stream"] = sprintf("stream: %s events%s, accumulated", commas(events["stream"]),
                              stream_mb != "" ? sprintf(" (%.1f MB)", stream_mb) : "")
    n = requests["streams"] ? requests["streams"] : streams
    title["streams"] = sprintf("streams: %s at once, %s events each", commas(n), n ? commas(events["streams"] / n) : "?")

    print "Per request (sequential) or per event (stream, streams): the rate, CPU µs and instructions."
    print ""
    print "| job | implementation | per second | CPU µs | instructions | wall s | peak RSS MiB | KiB per call, heap | KiB per call, RSS |"
    print "|---|---|---:|---:|---:|---:|---:|---:|---:|"
    split("libcurl oai node", seq_impls, " ")
    for (i = 1; i <= 3; i++)
        measurement_row(seq_impls[i], "sequential")
    split("libcurl-lines libcurl-jansson libcurl oai node", stream_impls, " ")
    for (i = 1; i <= 5; i++)
        measurement_row(stream_impls[i], "stream")
    for (i = 1; i <= 3; i++)
        measurement_row(seq_impls[i], "streams")

    print ""
    print "| job | target, or comparison | oai | reference | oai ÷ reference | met |"
    print "|---|---|---:|---:|---:|---|"
    w = "sequential"
    o = get("oai", w, "ir"); c = get("libcurl", w, "ir"); r = ratio(o, c)
    target_row(w, "instructions per request ≤ 1.8× raw libcurl's", o, c, r, verdict(r, "<=", 1.8))
    o = get("oai", w, "rate"); c = get("libcurl", w, "rate"); r = paired_ratio("oai", "libcurl", w, "rate")
    target_row(w, "requests/s ≥ 0.8× raw libcurl's", o, c, r, verdict(r, ">=", 0.8))
    nd = get("node", w, "rate"); r = paired_ratio("oai", "node", w, "rate")
    target_row(w, "requests/s ≥ 25× the npm SDK's", o, nd, r, verdict(r, ">=", 25))
    o = get("oai", w, "cpu_us")
    target_row(w, "CPU µs per request, against raw libcurl's", o, get("libcurl", w, "cpu_us"), paired_ratio("oai", "libcurl", w, "cpu_us"), "")
    target_row(w, "CPU µs per request, against the npm SDK's", o, get("node", w, "cpu_us"), paired_ratio("oai", "node", w, "cpu_us"), "")

    w = "stream"
    o = get("oai", w, "ir")
    target_row(w, "instructions per event ≤ 6,000", o, "-", "-", verdict(o, "<=", 6000))
    target_row(w, "instructions per event, against splitting lines only", o, get("libcurl-lines", w, "ir"), ratio(o, get("libcurl-lines", w, "ir")), "")
    target_row(w, "instructions per event, against libcurl + jansson", o, get("libcurl-jansson", w, "ir"), ratio(o, get("libcurl-jansson", w, "ir")), "")
    o = get("oai", w, "rate")
    target_row(w, "events/s ≥ 1,500,000", o, "-", "-", verdict(o, ">=", 1500000))
    c = get("libcurl-jansson", w, "rate"); r = paired_ratio("oai", "libcurl-jansson", w, "rate")
    target_row(w, "events/s ≥ 5× libcurl + jansson's", o, c, r, verdict(r, ">=", 5))
    nd = get("node", w, "rate"); r = paired_ratio("oai", "node", w, "rate")
    target_row(w, "events/s ≥ 15× the npm SDK's", o, nd, r, verdict(r, ">=", 15))
    target_row(w, "events/s, against splitting lines only", o, get("libcurl-lines", w, "rate"), paired_ratio("oai", "libcurl-lines", w, "rate"), "")
    o = get("oai", w, "cpu_us")
    target_row(w, "CPU µs per event, against libcurl + jansson", o, get("libcurl-jansson", w, "cpu_us"), paired_ratio("oai", "libcurl-jansson", w, "cpu_us"), "")

    w = "streams"
    o = get("oai", w, "wall_s"); c = get("libcurl", w, "wall_s"); r = paired_ratio("oai", "libcurl", w, "wall_s", 1)
    target_row(w, "speed ≥ 0.5× libcurl multi's (wall s; ratio: libcurl's wall ÷ oai's)", o, c, r, verdict(r, ">=", 0.5))
    nd = get("node", w, "wall_s")
    target_row(w, "speed, against the npm SDK's (wall s; ratio: its wall ÷ oai's)", o, nd, paired_ratio("oai", "node", w, "wall_s", 1), "")
    o = get("oai", w, "heap_kib_call"); c = get("libcurl", w, "heap_kib_call")
    target_row(w, "KiB per in-flight call ≤ 28 (counted heap; reference: libcurl multi)", o, c, paired_ratio("oai", "libcurl", w, "heap_kib_call"), verdict(o, "<=", 28))
    o = get("oai", w, "rss_kib_call")
    target_row(w, "KiB per in-flight call (RSS), against libcurl multi's", o, get("libcurl", w, "rss_kib_call"), paired_ratio("oai", "libcurl", w, "rss_kib_call"), "")
    target_row(w, "KiB per in-flight call (RSS), against the npm SDK's", o, get("node", w, "rss_kib_call"), paired_ratio("oai", "node", w, "rss_kib_call"), "")

    if (get("oai", "streams", "receiving") != "")
        printf "\nMost calls receiving at once (data arrived, call not ended), median of the runs: " \
               "libcurl multi %s, oai %s, npm SDK %s, of %s.\n", fmt(get("libcurl", "streams", "receiving")),
               fmt(get("oai", "streams", "receiving")), fmt(get("node", "streams", "receiving")), commas(n)
}
