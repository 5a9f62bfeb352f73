# bench/lib/summary.awk — turns bench/compare's raw results into tables of medians (min–max)
# and ratios of Ferry to each peer: one table per mode, then (with two modes) a table of the
# modes side by side.
# Input: the META file (KEY UNIT BETTER LABEL, tab-separated, in display order; BETTER is higher,
# lower or info), then one RESULTS file (KEY SERVER VALUE) per mode, in the order of the `modes`
# variable ("pinned shared"); `titles` holds each mode's heading, "|"-separated. Ratios are
# Ferry / peer: above 1 is better for Ferry where higher is better, below 1 where lower is better.
# A higher-is-better figure whose client used 95 % or more of its cores (row KEY.share) measured
# the client as much as the server: it is printed as a lower bound (≥), and a ratio against it
# as a bound the other way.
BEGIN {
    FS = "\t"
    modeCount = split(modes, modeName, " ")
    split(titles, title, "|")
    peerCount = split("nginx lighttpd apache", peer, " ")
    peerLabel["nginx"] = "nginx"; peerLabel["lighttpd"] = "lighttpd"; peerLabel["apache"] = "Apache prefork"
    SaturatedPercent = 95
}
FNR == 1 { file++ }
file == 1 { order[++rows] = $1; unit[$1] = $2; better[$1] = $3; label[$1] = $4; next }
{ m = modeName[file - 1]; n = ++count[m, $1, $2]; value[m, $1, $2, n] = $3 + 0 }

function sortGroup(m, key, server,    i, j, n, t) {
    n = count[m, key, server]
    for (i = 1; i <= n; i++) sorted[i] = value[m, key, server, i]
    for (i = 2; i <= n; i++) {
        t = sorted[i]
        for (j = i - 1; j >= 1 && sorted[j] > t; j--) sorted[j + 1] = sorted[j]
        sorted[j + 1] = t
    }
    return n
}
function median(m, key, server,    n) {
    n = sortGroup(m, key, server)
    if (n == 0) return ""
    return n % 2 ? sorted[(n + 1) / 2] : (sorted[n / 2] + sorted[n / 2 + 1]) / 2
}
function number(v) { return v == int(v) ? sprintf("%d", v) : v >= 100 ? sprintf("%.0f", v) : v >= 10 ? sprintf("%.1f", v) : sprintf("%.3g", v) }
# True when the client of this row and server saturated its cores (median share).
function clientBound(m, key, server,    s) {
    if (better[key] != "higher") return 0
    s = median(m, key ".share", server)
    return s != "" && s >= SaturatedPercent
}
function cell(m, key, server,    n, v, text) {
    v = median(m, key, server)
    if (v == "") return "–"
    n = count[m, key, server]
    text = number(v)
    if (n > 1) text = text " (" number(sorted[1]) "–" number(sorted[n]) ")"
    return (clientBound(m, key, server) ? "≥ " : "") text
}
function ratio(m, key, other,    f, p, fb, pb, r) {
    if (better[key] == "info") return ""
    f = median(m, key, "ferry"); p = median(m, key, other)
    if (f == "" || p == "") return "–"
    if (p == 0) return f == 0 ? "=" : "–"
    r = sprintf("%.2f", f / p)
    fb = clientBound(m, key, "ferry"); pb = clientBound(m, key, other)
    if (pb && !fb) return "≤ " r
    if (fb && !pb) return "≥ " r
    if (fb && pb) return "≈ " r " (both ≥)"
    return r
}
function unitText(key) { return unit[key] (better[key] == "lower" ? ", lower is better" : "") }

function modeTable(i,    m, r, k, p, line) {
    m = modeName[i]
    print "### " title[i]
    print ""
    print "| workload | unit | Ferry | nginx | lighttpd | Apache prefork | Ferry/nginx | Ferry/lighttpd | Ferry/Apache |"
    print "|---|---|---|---|---|---|---|---|---|"
    for (r = 1; r <= rows; r++) {
        k = order[r]
        if (count[m, k, "machine"] > 0) continue
        line = "| " label[k] " | " unitText(k) " | " cell(m, k, "ferry")
        for (p = 1; p <= peerCount; p++) line = line " | " cell(m, k, peer[p])
        for (p = 1; p <= peerCount; p++) line = line " | " ratio(m, k, peer[p])
        print line " |"
    }
    for (r = 1; r <= rows; r++) {
        k = order[r]
        if (count[m, k, "machine"] == 0) continue
        printf "\n%s: %s %s", label[k], cell(m, k, "machine"), unit[k]
        ceiling = median(m, k, "machine")
        # A cipher's speed on one core bounds (a) over TLS; the loopback ceiling bounds plaintext (a).
        ref = k ~ /^cipher/ ? "a_tls_lean" : "a"
        if (ceiling > 0 && median(m, ref, "ferry") != "")
            printf "; Ferry's %s is %.2f of it", ref == "a" ? "(a)" : "(a) over TLS (lean reader)", median(m, ref, "ferry") / ceiling
        print ""
    }
    print ""
}

function sideBySide(    i, r, k, p, line, head, rule) {
    head = "| workload | unit"; rule = "|---|---"
    for (i = 1; i <= modeCount; i++) {
        head = head " | " modeName[i] ": Ferry"; rule = rule "|---"
        for (p = 1; p <= peerCount; p++) { head = head " | Ferry/" peerLabel[peer[p]]; rule = rule "|---" }
    }
    print "### Side by side"
    print ""
    print head " |"
    print rule "|"
    for (r = 1; r <= rows; r++) {
        k = order[r]
        if (better[k] == "info" || count[modeName[1], k, "machine"] > 0) continue
        line = "| " label[k] " | " unitText(k)
        for (i = 1; i <= modeCount; i++) {
            line = line " | " cell(modeName[i], k, "ferry")
            for (p = 1; p <= peerCount; p++) line = line " | " ratio(modeName[i], k, peer[p])
        }
        print line " |"
    }
}

END {
    for (i = 1; i <= modeCount; i++) modeTable(i)
    if (modeCount > 1) sideBySide()
}
