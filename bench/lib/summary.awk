# bench/lib/summary.awk — turns bench/compare's raw results into the table of medians
# (min–max) and ratios of Ferry to each peer.
# Input: the META file (KEY UNIT BETTER LABEL, tab-separated, in display order), then the
# RESULTS file (KEY SERVER VALUE). Ratios are Ferry / peer for every row: above 1 is better
# for Ferry where higher is better, below 1 where lower is better.
BEGIN { FS = "\t" }
FNR == NR { order[++rows] = $1; unit[$1] = $2; better[$1] = $3; label[$1] = $4; next }
{ n = ++count[$1, $2]; value[$1, $2, n] = $3 + 0 }

function sortGroup(key, server,    i, j, n, t) {
    n = count[key, server]
    for (i = 1; i <= n; i++) sorted[i] = value[key, server, i]
    for (i = 2; i <= n; i++) {
        t = sorted[i]
        for (j = i - 1; j >= 1 && sorted[j] > t; j--) sorted[j + 1] = sorted[j]
        sorted[j + 1] = t
    }
    return n
}
function median(key, server,    n) {
    n = sortGroup(key, server)
    if (n == 0) return ""
    return n % 2 ? sorted[(n + 1) / 2] : (sorted[n / 2] + sorted[n / 2 + 1]) / 2
}
function number(v) { return v == int(v) ? sprintf("%d", v) : v >= 100 ? sprintf("%.0f", v) : v >= 10 ? sprintf("%.1f", v) : sprintf("%.3g", v) }
function cell(key, server,    n, m) {
    m = median(key, server)
    if (m == "") return "–"
    n = count[key, server]
    if (n == 1) return number(m)
    return number(m) " (" number(sorted[1]) "–" number(sorted[n]) ")"
}
function ratio(key, peer,    f, p) {
    f = median(key, "ferry"); p = median(key, peer)
    if (f == "" || p == "") return "–"
    if (p == 0) return f == 0 ? "=" : "–"
    return sprintf("%.2f", f / p)
}

END {
    print "| workload | unit | Ferry | nginx | Apache prefork | Ferry/nginx | Ferry/Apache |"
    print "|---|---|---|---|---|---|---|"
    for (r = 1; r <= rows; r++) {
        k = order[r]
        if (count[k, "machine"] > 0) continue
        u = unit[k] (better[k] == "lower" ? ", lower is better" : "")
        printf "| %s | %s | %s | %s | %s | %s | %s |\n", label[k], u, cell(k, "ferry"), cell(k, "nginx"),
            cell(k, "apache"), ratio(k, "nginx"), ratio(k, "apache")
    }
    for (r = 1; r <= rows; r++) {
        k = order[r]
        if (count[k, "machine"] == 0) continue
        printf "\n%s: %s %s", label[k], cell(k, "machine"), unit[k]
        ceiling = median(k, "machine")
        # A cipher's speed on one core bounds (a) over TLS; the loopback ceiling bounds plaintext (a).
        ref = k ~ /^cipher/ ? "a_tls_lean" : "a"
        if (ceiling > 0 && median(ref, "ferry") != "")
            printf "; Ferry's %s is %.2f of it", ref == "a" ? "(a)" : "(a) over TLS (lean reader)", median(ref, "ferry") / ceiling
        print ""
    }
}
