# bench/lib/workloads.sh — sourced by bench/compare: one function per workload, each
# measuring one server once and appending "KEY<TAB>SERVER<TAB>VALUE" lines to $RESULTS.

declare -A PORT=()
# Set by bench/compare's set_mode: the command prefix that binds a client to the client CPUs (empty
# when shared), and the threads each load generator runs (one per client CPU when pinned).
CLIENT_PIN=() CLIENT_THREADS=1

record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$RESULTS"; }

# define KEY UNIT BETTER(higher|lower) LABEL — one row of the final table, in this order.
define() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$META"; }

json_field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" "$2"; }
now_ns() { date +%s%N; }
# bytes and nanoseconds to GB/s (10^9 bytes per second)
rate() { awk -v b="$1" -v ns="$2" 'BEGIN { printf "%.3f", b / ns }'; }
url() { echo "http://127.0.0.1:${PORT[$1]}/$2"; }
ferry_url() { echo "ferry://127.0.0.1:${PORT[ferry]}/$1"; }

# timed OUTFILE COMMAND... — runs COMMAND (on the client CPUs when pinned) under GNU time:
# "wall_s user_s sys_s maxrss_kib" in $WORK/time.out, the command's stdout in OUTFILE.
timed() {
    local out=$1
    shift
    /usr/bin/time -f '%e %U %S %M' -o "$WORK/time.out" "${CLIENT_PIN[@]}" "$@" >"$out" 2>>"$WORK/clients.err"
}
# The client's CPU over the run as a percentage of the cores its threads can use: at 95 % or more
# the client, not the server, set the pace, and the server's figure is only a lower bound.
client_share_percent() { # THREADS
    tail -1 "$WORK/time.out" | awk -v t="$1" '{ if ($1 > 0) printf "%.0f", ($2 + $3) * 100 / $1 / t; else print 0 }'
}
# GNU time writes "Command exited with non-zero status N" first when the command failed.
client_cpu_us_per_request() { # REQUESTS
    tail -1 "$WORK/time.out" | awk -v n="$1" '{ if (n > 0) printf "%.2f", ($2 + $3) * 1e6 / n; else print 0 }'
}
# User time only: the kernel's share of a loopback client depends on the server it talks
# to (waking a sleeping server process is charged to the sender), user time does not.
client_user_us_per_request() { # REQUESTS
    tail -1 "$WORK/time.out" | awk -v n="$1" '{ if (n > 0) printf "%.2f", $2 * 1e6 / n; else print 0 }'
}
client_peak_rss_mib() { tail -1 "$WORK/time.out" | awk '{ printf "%.1f", $4 / 1024 }'; }

# load SERVER KEY CONNECTIONS new|keep TARGET — wrk for HTTP, ferry-bench for Ferry, for $DUR
# seconds. TARGET is a path, or @FILE for a list of paths. Records KEY (req/s), KEY.p50,
# KEY.p99 (ms), KEY.err, KEY.cpu and KEY.ucpu (client CPU, user CPU µs per request) unless
# NORECORD is set; with TLS=1, against the TLS instances (ferry_tls, nginx_tls), a full TLS 1.3
# handshake per connection for both clients.
# LAST_JSON holds the client's JSON line either way.
load() {
    local server=$1 key=$2 conns=$3 mode=$4 target=$5 out=$WORK/load.out
    local paths="" path=$target ticks switches daemon=$1 threads=$CLIENT_THREADS
    [ "$threads" -le "$conns" ] || threads=$conns
    [ -z "${TLS:-}" ] || daemon=${server}_tls
    ticks=$(cpu_ticks "$daemon")
    switches=$(ctx_switches "$daemon")
    if [ "${target:0:1}" = @ ]; then paths=${target:1}; path=""; fi
    if [ "$server" = ferry ]; then
        local args=(-q -c "$conns" -t "$threads" -d "$DUR" --timeout 10 --read-size 8192)
        [ "$mode" = new ] && args+=(-n)
        [ -z "${TLS:-}" ] || args+=(--tls)
        args+=("127.0.0.1:${PORT[$daemon]}")
        if [ -n "$paths" ]; then args+=(-f "$paths"); else args+=("$path"); fi
        timed "$out" "$FERRY_BENCH" "${args[@]}" || true
    else
        local args=(-t "$threads" -c "$conns" -d "${DUR}s" --timeout 10s -s "$HERE/lib/wrk.lua")
        [ "$mode" = new ] && args+=(-H "Connection: close")
        local target_url
        target_url=$(url "$server" "$path")
        [ -z "${TLS:-}" ] || target_url="https://localhost:${PORT[$daemon]}/$path"
        timed "$out" env WRK_PATHS="$paths" wrk "${args[@]}" "$target_url" || true
    fi
    ticks=$(($(cpu_ticks "$daemon") - ticks))
    switches=$(($(ctx_switches "$daemon") - switches))
    LAST_JSON=$(grep '^{' "$out" | tail -1)
    [ -n "$LAST_JSON" ] || { echo "compare: $server gave no result for $key" >&2; cat "$out" >&2; return 0; }
    record "$key.share" "$server" "$(client_share_percent "$threads")"
    [ -n "${NORECORD:-}" ] && return 0
    echo "$LAST_JSON" >"$out.json"
    local requests seconds
    requests=$(json_field requests "$out.json")
    seconds=$(json_field seconds "$out.json")
    record "$key" "$server" "$(awk -v r="$requests" -v s="$seconds" 'BEGIN { printf "%.0f", r / s }')"
    record "$key.p50" "$server" "$(awk -v u="$(json_field p50_us "$out.json")" 'BEGIN { printf "%.3f", u / 1000 }')"
    record "$key.p99" "$server" "$(awk -v u="$(json_field p99_us "$out.json")" 'BEGIN { printf "%.3f", u / 1000 }')"
    record "$key.err" "$server" "$(json_field errors "$out.json")"
    record "$key.cpu" "$server" "$(client_cpu_us_per_request "$requests")"
    record "$key.ucpu" "$server" "$(client_user_us_per_request "$requests")"
    record "$key.scpu" "$server" "$(awk -v t="$ticks" -v n="$requests" -v hz="$(getconf CLK_TCK)" \
        'BEGIN { if (n > 0) printf "%.2f", t * 1e6 / hz / n; else print 0 }')"
    record "$key.cs" "$server" "$(awk -v c="$switches" -v n="$requests" 'BEGIN { if (n > 0) printf "%.2f", c / n; else print 0 }')"
}

# stream SERVER KEY CONNECTIONS @PATHS — like load, but records GB/s of received bytes.
stream() {
    NORECORD=1 load "$1" "$2" "$3" keep "$4"
    echo "$LAST_JSON" >"$WORK/stream.json"
    local bytes seconds
    bytes=$(json_field bytes "$WORK/stream.json")
    seconds=$(json_field seconds "$WORK/stream.json")
    [ -n "$bytes" ] && record "$2" "$1" "$(awk -v b="$bytes" -v s="$seconds" 'BEGIN { printf "%.3f", b / s / 1e9 }')"
    return 0
}

# (a) one big file to /dev/null with the real download clients, curl and ferry-get -O,
# and (i) their peak RSS. Timed from the outside, process start included for both.
w_null() {
    local t0 t1 ok=1
    t0=$(now_ns)
    if [ "$1" = ferry ]; then
        timed "$WORK/null.out" "$FERRY_GET" --plaintext --no-progress -O /dev/null "$(ferry_url big.bin)" || ok=0
    else
        timed "$WORK/null.out" curl -fsS -o /dev/null "$(url "$1" big.bin)" || ok=0
    fi
    t1=$(now_ns)
    if [ "$ok" = 1 ]; then
        record a "$1" "$(rate "$BIG_BYTES" $((t1 - t0)))"
        record i "$1" "$(client_peak_rss_mib)"
    else
        echo "compare: $1 download to /dev/null failed: $(tail -1 "$WORK/clients.err")" >&2
    fi
}

# (a, TLS) the same over TLS 1.3 with one P-256 certificate (make_tls_cert): curl to nginx, ferry-get
# to Ferry, each checking the server's identity (CA file; pinned fingerprint).
w_null_tls() {
    local t0 t1 ok=1
    t0=$(now_ns)
    if [ "$1" = ferry ]; then
        XDG_CONFIG_HOME=$WORK/tls timed "$WORK/null.out" "$FERRY_GET" --no-progress -O /dev/null \
            "ferry://127.0.0.1:${PORT[ferry_tls]}/big.bin?fp=$TLS_FP" || ok=0
    else
        timed "$WORK/null.out" curl -fsS --tlsv1.3 --cacert "$WORK/tls/cert.pem" -o /dev/null \
            "https://localhost:${PORT[nginx_tls]}/big.bin" || ok=0
    fi
    t1=$(now_ns)
    if [ "$ok" = 1 ]; then
        record a_tls "$1" "$(rate "$BIG_BYTES" $((t1 - t0)))"
    else
        echo "compare: $1 TLS download to /dev/null failed: $(tail -1 "$WORK/clients.err")" >&2
    fi
}

# (a, lean reader) the same GET from ferry-bench, which reads with 256 KiB recv()s and
# drops the bytes: the server's ceiling, to tell its share from ferry-get's. Ferry only.
w_lean() {
    local t0 t1
    t0=$(now_ns)
    timed "$WORK/lean.out" "$FERRY_BENCH" -q -c 1 -r 1 -d 600 --read-size 262144 "127.0.0.1:${PORT[ferry]}" big.bin &&
        t1=$(now_ns) && record a_lean ferry "$(rate "$BIG_BYTES" $((t1 - t0)))"
    return 0
}

# (a over TLS, lean reader) the same through ferry-bench --tls (OpenSSL directly, 256 KiB reads): the
# server's side of (a) over TLS, which ferry-get's QSslSocket hides. Ferry only.
w_lean_tls() {
    local t0 t1
    t0=$(now_ns)
    timed "$WORK/lean.out" "$FERRY_BENCH" -q -c 1 -r 1 -d 600 --read-size 262144 --tls \
        "127.0.0.1:${PORT[ferry_tls]}" big.bin &&
        t1=$(now_ns) && record a_tls_lean ferry "$(rate "$BIG_BYTES" $((t1 - t0)))"
    return 0
}

# fetch SERVER DIR — the real download client (curl / ferry-get) saving big.bin into DIR.
# ferry-get fsyncs its .part before renaming it into place, so curl's file is fsynced too
# (sync FILE) before the clock stops: both have the bytes on disk when they are done.
fetch() {
    if [ "$1" = ferry ]; then
        timed "$WORK/fetch.out" "$FERRY_GET" --plaintext --no-progress --on-exists overwrite -o "$2" "$(ferry_url big.bin)"
    else
        timed "$WORK/fetch.out" curl -fsS -o "$2/big.bin" "$(url "$1" big.bin)" && sync "$2/big.bin"
    fi
}

# (b) to a file on disk. A failed download records nothing (and says so).
w_disk() {
    local t0 t1
    rm -f "$DISK_DIR"/big.bin* # dirty pages of a deleted file are dropped, not written back
    t0=$(now_ns)
    if fetch "$1" "$DISK_DIR"; then
        t1=$(now_ns)
        record b "$1" "$(rate "$BIG_BYTES" $((t1 - t0)))"
    else
        echo "compare: $1 download to disk failed: $(tail -1 "$WORK/clients.err")" >&2
    fi
    rm -f "$DISK_DIR"/big.bin*
}

# (h) idle: the server's memory before any load (called once, before the first round).
w_idle_memory() {
    local idle
    idle=$(memory "$1")
    record h.idle "$1" "$(awk -v k="${idle% *}" 'BEGIN { printf "%.1f", k / 1024 }')"
    record h.idleprocs "$1" "${idle#* }"
}

# (e) kept alive; with SAMPLE_MEMORY set, (h) under load: memory sampled halfway through.
# Only the first round samples: Apache retires surplus children one a second, so in later
# rounds it still carries the processes that the 1,000-client run made it fork.
w_keepalive() {
    local sample
    [ -n "${SAMPLE_MEMORY:-}" ] || { load "$1" e 16 keep small/one.bin; return 0; }
    (sleep "$(awk -v d="$DUR" 'BEGIN { print d / 2 }')"; memory "$1" >"$WORK/mem.sample") &
    sample=$!
    load "$1" e 16 keep small/one.bin
    wait "$sample" || true
    local busy
    busy=$(cat "$WORK/mem.sample")
    record h.load "$1" "$(awk -v k="${busy% *}" 'BEGIN { printf "%.1f", k / 1024 }')"
    record h.loadprocs "$1" "${busy#* }"
}

# (h, TLS) the server's PSS before and while bench/lib/hold_tls.py holds $IDLE_TLS idle TLS connections,
# each after one request (Ferry: HELLO and STAT; nginx: a kept-alive GET): what one costs the server.
w_idle_tls() {
    local daemon=${1}_tls mode=http before after line="" fifo=$WORK/hold.fifo
    [ "$1" = ferry ] && mode=ferry
    before=$(memory "$daemon")
    rm -f "$fifo" && mkfifo "$fifo"
    # The holder's stdin is the fifo's write end, kept open on fd 7 here: closing it ends the holder.
    python3 "$HERE/lib/hold_tls.py" 127.0.0.1 "${PORT[$daemon]}" "$IDLE_TLS" "$mode" small/one.bin \
        <"$fifo" >"$WORK/hold.out" 2>>"$WORK/clients.err" &
    local holder=$!
    exec 7>"$fifo"
    local waited=0
    while [ $waited -lt 1200 ] && ! grep -q '^held' "$WORK/hold.out" && kill -0 "$holder" 2>/dev/null; do
        sleep 0.1
        waited=$((waited + 1))
    done
    line=$(cat "$WORK/hold.out")
    if [ "${line%% *}" = held ]; then
        after=$(memory "$daemon")
        record h_tls.held "$1" "$(awk -v k="${after% *}" 'BEGIN { printf "%.1f", k / 1024 }')"
        record h_tls.conn "$1" "$(awk -v a="${after% *}" -v b="${before% *}" -v n="$IDLE_TLS" \
            'BEGIN { printf "%.1f", (a - b) / n }')"
    else
        echo "compare: $1: holding $IDLE_TLS idle TLS connections failed: $(tail -1 "$WORK/clients.err")" >&2
    fi
    exec 7>&-
    wait "$holder" || true
}

# One core's AEAD speed on 16 KiB blocks (a TLS record's plaintext): the bound for (a) over TLS.
w_cipher_speed() {
    local cipher key
    for cipher in aes-128-gcm chacha20-poly1305; do
        key=cipher.${cipher%%-*}
        record "$key" machine "$(openssl speed -seconds "$CIPHER_SECONDS" -bytes 16384 -evp "$cipher" 2>/dev/null |
            awk 'END { v = $NF; sub(/k$/, "", v); printf "%.3f", v * 1000 / 1e9 }')"
    done
}

w_iperf() {
    "${CLIENT_PIN[@]}" iperf3 -c 127.0.0.1 -p "${PORT[iperf3]}" -t "$IPERF_SECONDS" -f M >"$WORK/iperf.out" 2>&1 || true
    record j machine "$(awk '/receiver/ { for (i = 1; i < NF; i++) if ($(i + 1) == "MBytes/sec") v = $i }
        END { printf "%.3f", v * 1048576 / 1e9 }' "$WORK/iperf.out")"
}

# (k) MANIFEST of big.bin, Ferry only (no peer publishes manifests). bench/manifest_time first moves the
# file's times, so the server's manifest cache misses and the first answer is computed ("cold": hashed
# from the page cache, not the disk); the next two come from the cache in the state directory.
w_manifest() {
    local out=$WORK/manifest.out
    if python3 "$HERE/manifest_time" --touch "$DATA/big.bin" "127.0.0.1:${PORT[ferry]}" big.bin 3 \
        >"$out" 2>>"$WORK/clients.err"; then
        record k.cold ferry "$(awk '$1 == "cold" { printf "%.0f", $2 * 1000 }' "$out")"
        record k.cached ferry "$(awk '$1 == "cached" { printf "%.2f", $2 * 1000 }' "$out")"
    else
        echo "compare: MANIFEST timing failed: $(tail -1 "$WORK/clients.err")" >&2
    fi
}
