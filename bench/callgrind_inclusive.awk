# Inclusive instructions per unit (request or event) of the functions of one
# shared object, from `callgrind_annotate --inclusive=yes --auto=no
# --threshold=100` of two profiles that differ only in the number of units:
# (inclusive2 - inclusive1) / (n2 - n1).
#
#   awk -v n1=100 -v n2=300 -v object=liboai [-v top=30] [-v unit=request] \
#       -f callgrind_inclusive.awk ANNOTATE1 ANNOTATE2
#
# Lines look like "  82,300,422 (80.20%)  src/engine.c:oai_client_send [/path/liboai.so.0]".

FNR == 1 { file_index++ }

index($0, "[") && index($0, object) {
    line = $0
    if (!match(line, /^ *[0-9,]+ +\( *[0-9.]+%\) +/))
        next
    cost = substr(line, 1, RLENGTH)
    sub(/\(.*/, "", cost)
    gsub(/[ ,]/, "", cost)
    name = substr(line, RLENGTH + 1)
    sub(/ \[.*/, "", name)
    sub(/^.*\//, "", name)              # keep "file.c:function"
    inclusive[name] += (file_index == 1 ? -1 : 1) * cost
}

END {
    units = n2 - n1
    if (units <= 0) { print "n2 must exceed n1" > "/dev/stderr"; exit 2 }
    if (top == "") top = 30
    if (unit == "") unit = "request"
    printf "%12s  %s\n", "Ir/" unit, "function (inclusive)"
    for (f in inclusive)
        if (inclusive[f] / units >= 1)
            printf "%12.0f  %s\n", inclusive[f] / units, f | ("sort -rn | head -n " top)
    close("sort -rn | head -n " top)
}
