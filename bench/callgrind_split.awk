# Instructions per request, split by shared object and by function, from two
# callgrind profiles of the same workload run with different request counts:
# (profile2 - profile1) / (n2 - n1) removes start-up and shutdown, leaving
# the steady-state cost of one request.
#
#   awk -v n1=100 -v n2=300 [-v top=25] [-v unit=request] \
#       -f callgrind_split.awk PROFILE1 PROFILE2
#
# Reads the callgrind output format: "ob=", "fn=" (and "fl=") name the
# current object and function, compressed as "(id) name" the first time and
# "(id)" after; a cost line after "calls=" is the inclusive cost of a call
# and is skipped, so every instruction is counted once, in the function that
# executed it (self cost).

function name_of(spec, table,    id, rest) {
    if (match(spec, /^\([0-9]+\)/)) {
        id = substr(spec, 2, RLENGTH - 2)
        rest = substr(spec, RLENGTH + 1)
        sub(/^ /, "", rest)
        if (rest != "")
            table[id] = rest
        return table[id]
    }
    return spec
}

function short_object(path,    n, parts) {
    n = split(path, parts, "/")
    return parts[n]
}

FNR == 1 {
    file_index++
    skip_next = 0
    delete obj_names
    delete fn_names
    object = "?"
    func = "?"
}

/^ob=/ { object = short_object(name_of(substr($0, 4), obj_names)); next }
/^fn=/ { func = name_of(substr($0, 4), fn_names); next }
/^(cob|cfi|cfl|cfn)=/ {
    # Call targets share the name tables with ob= and fn=.
    if ($0 ~ /^cob=/) name_of(substr($0, 5), obj_names)
    if ($0 ~ /^cfn=/) name_of(substr($0, 5), fn_names)
    next
}
/^calls=/ { skip_next = 1; next }
/^([0-9]|\+|-|\*)/ {
    if (skip_next) { skip_next = 0; next }
    cost = $NF + 0
    sign = file_index == 1 ? -1 : 1
    by_object[object] += sign * cost
    by_function[object ": " func] += sign * cost
    total += sign * cost
    next
}

END {
    requests = n2 - n1
    if (requests <= 0) { print "n2 must exceed n1" > "/dev/stderr"; exit 2 }
    if (top == "") top = 25
    if (unit == "") unit = "request"
    printf "%12s  %6s  %s\n", "Ir/" unit, "share", "object"
    for (o in by_object)
        if (by_object[o] / requests >= 1)
            printf "%12.0f  %5.1f%%  %s\n", by_object[o] / requests, 100 * by_object[o] / total, o | "sort -rn"
    close("sort -rn")
    printf "%12.0f  %5.1f%%  %s\n\n", total / requests, 100, "total"
    printf "%12s  %6s  %s\n", "Ir/" unit, "share", "function (self)"
    for (f in by_function)
        if (by_function[f] / requests >= 1)
            printf "%12.0f  %5.1f%%  %s\n", by_function[f] / requests, 100 * by_function[f] / total, f | ("sort -rn | head -n " top)
    close("sort -rn | head -n " top)
}
