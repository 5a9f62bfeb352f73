# bench/lib/servers.sh — sourced by bench/compare: private configs, start and stop of the
# four servers and iperf3. Every daemon runs in its own session (setsid), so its pid is
# also its process group: Apache prefork signals its whole group on shutdown, and that
# group must not be ours. Only pids recorded here are ever signalled.

declare -A DAEMON_PID=()
# Set by bench/compare's set_mode: the command prefix that binds a server to the server CPUs
# (empty when servers and clients share every CPU), and the worker count of nginx and lighttpd.
SERVER_PIN=() NGINX_WORKERS=2 LIGHTTPD_WORKERS=1

# Tuning for each server's best showing on this workload (written down, as asked):
#  nginx:  2 workers (pinned: one per server CPU), sendfile on, tcp_nodelay on, tcp_nopush chosen by measurement
#          (calibrate_nopush), access_log off, open_file_cache for the 1,000 small files,
#          keepalive_requests high so wrk's connections are never recycled, a listen
#          backlog of 4096 for the 1,000-client scaling run.
#  Apache: mpm_prefork, StartServers 8, MinSpare 5 / MaxSpare 10 (defaults), ServerLimit and
#          MaxRequestWorkers 256 (the default cap), EnableSendfile On, KeepAlive On with
#          unlimited requests per connection, no access log, no .htaccess lookups
#          (AllowOverride None), ListenBacklog 4096.
#  lighttpd: one process (its single event loop; pinned: one per server CPU), sendfile
#          (its Linux default), keep-alive with unlimited requests, the stat cache on (its
#          default, the counterpart of nginx's open_file_cache), no access log, backlog 4096.
#  Ferry:  8 workers, no per-IP limit (every client here is 127.0.0.1), a pending queue
#          of 4096 (the counterpart of the listen backlogs above), log level warn.

write_nginx_conf() { # DIR PORT NOPUSH(on|off) [TLS_PORT]
    local dir=$1 port=$2 nopush=$3 tls=""
    [ -z "${4:-}" ] || tls="listen 127.0.0.1:$4 ssl backlog=4096;
        ssl_certificate $WORK/tls/cert.pem;
        ssl_certificate_key $WORK/tls/key.pem;
        ssl_protocols TLSv1.3;
        ssl_prefer_server_ciphers on;
        ssl_conf_command Ciphersuites $TLS_SUITES;
        ssl_conf_command NumTickets 0;"
    mkdir -p "$dir/logs" "$dir/tmp"
    cat >"$dir/nginx.conf" <<CONF
worker_processes $NGINX_WORKERS;
daemon off;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    tcp_nopush $nopush;
    tcp_nodelay on;
    keepalive_requests 100000000;
    keepalive_timeout 60s;
    open_file_cache max=4096 inactive=60s;
    default_type application/octet-stream;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    server {
        listen 127.0.0.1:$port backlog=4096;
        $tls
        root $DATA;
        location / { }
    }
}
CONF
}

write_apache_conf() { # DIR PORT
    local dir=$1 port=$2 mods=/usr/lib/apache2/modules user=www-data group=www-data
    id -u www-data >/dev/null 2>&1 || { user=nobody; group=nogroup; }
    mkdir -p "$dir/logs" "$dir/run"
    cat >"$dir/httpd.conf" <<CONF
ServerRoot $dir
ServerName 127.0.0.1
Listen 127.0.0.1:$port
ListenBacklog 4096
PidFile $dir/run/httpd.pid
DefaultRuntimeDir $dir/run
Mutex file:$dir/run default
ErrorLog $dir/logs/error.log
LogLevel warn
User $user
Group $group
LoadModule mpm_prefork_module $mods/mod_mpm_prefork.so
LoadModule authz_core_module $mods/mod_authz_core.so
StartServers 8
MinSpareServers 5
MaxSpareServers 10
ServerLimit 256
MaxRequestWorkers 256
MaxConnectionsPerChild 0
EnableSendfile On
EnableMMAP On
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 60
DocumentRoot $DATA
<Directory />
    AllowOverride None
    Require all granted
</Directory>
CONF
}

write_lighttpd_conf() { # DIR PORT
    local dir=$1 port=$2 user=""
    mkdir -p "$dir/logs"
    # lighttpd opens its error log after dropping root (the log folder must be that user's)
    if id -u www-data >/dev/null 2>&1; then
        user='server.username = "www-data"
server.groupname = "www-data"'
        chown www-data:www-data "$dir/logs"
    fi
    cat >"$dir/lighttpd.conf" <<CONF
server.document-root = "$DATA"
server.bind = "127.0.0.1"
server.port = $port
server.pid-file = "$dir/lighttpd.pid"
server.errorlog = "$dir/logs/error.log"
$user
server.max-worker = $LIGHTTPD_WORKERS
server.max-fds = 16384
server.max-connections = 8192
server.listen-backlog = 4096
server.network-backend = "sendfile"
server.max-keep-alive-requests = 100000000
server.max-keep-alive-idle = 60
server.stat-cache-engine = "simple"
mimetype.assign = ("" => "application/octet-stream")
CONF
}

# start_daemon NAME COMMAND... — runs COMMAND in a new session, output into $WORK/NAME.{out,err},
# on the server CPUs when the run is pinned (taskset and setsid both exec: the pid stays COMMAND's).
start_daemon() {
    local name=$1
    shift
    "${SERVER_PIN[@]}" setsid "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" </dev/null &
    DAEMON_PID[$name]=$!
}

# stop_daemon NAME — TERM to the recorded pid, then, if its session is still alive after
# a grace period, KILL to that process group (which setsid made equal to the pid).
stop_daemon() {
    local name=$1 pid=${DAEMON_PID[$1]:-} i
    [ -n "$pid" ] || return 0
    unset "DAEMON_PID[$name]"
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

stop_all_daemons() {
    local name
    for name in "${!DAEMON_PID[@]}"; do
        stop_daemon "$name"
    done
}

# wait_http PORT — until the server answers a small file (10 s at most).
wait_http() {
    local i
    for i in $(seq 1 100); do
        curl -fsS -o /dev/null "http://127.0.0.1:$1/small/one.bin" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "compare: no answer on port $1" >&2
    return 1
}

# wait_line NAME TEXT — until the daemon's stdout holds TEXT (10 s at most).
wait_line() {
    local i
    for i in $(seq 1 100); do
        grep -q "$2" "$WORK/$1.out" 2>/dev/null && return 0
        kill -0 "${DAEMON_PID[$1]}" 2>/dev/null || break
        sleep 0.1
    done
    echo "compare: $1 did not start:" >&2
    cat "$WORK/$1.err" >&2
    return 1
}

start_nginx() { # NAME PORT NOPUSH
    write_nginx_conf "$WORK/$1" "$2" "$3"
    start_daemon "$1" nginx -p "$WORK/$1" -e "$WORK/$1/logs/error.log" -c "$WORK/$1/nginx.conf"
    wait_http "$2"
}

# The TLS rows: one P-256 certificate for "localhost" (the key type of Ferry's own identity,
# docs/SECURITY.md) served by nginx and by Ferry (--tls-cert), trusted by the clients as they would
# trust a real one: curl --cacert, ferry-get ?fp= (its fingerprint, computed as docs/SECURITY.md says).
make_tls_cert() {
    mkdir -p "$WORK/tls"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/tls/key.pem" \
        -out "$WORK/tls/cert.pem" -subj /CN=localhost -addext subjectAltName=DNS:localhost -days 2 2>/dev/null
    chmod 600 "$WORK/tls/key.pem"
    TLS_FP=$(openssl x509 -in "$WORK/tls/cert.pem" -pubkey -noout | openssl pkey -pubin -outform der |
        openssl dgst -sha256 -binary | python3 -c 'import base64, sys
s = base64.b32encode(sys.stdin.buffer.read()).decode().rstrip("=")
print("-".join(s[i:i + 4] for i in range(0, len(s), 4)))')
}

# nginx's TLS is set as Ferry's (server/tls/tls_context.cpp), so that both make the same handshake:
# the same suites in the server's order of preference (clients offer AES-256 first, so with nginx's
# defaults wrk and nginx agreed on AES-256 while Ferry picked AES-128), and no session tickets. nginx
# sends OpenSSL's default two, and wrk keeps each connection slot's session (SSL_clear), so without
# "NumTickets 0" all but wrk's first connection per slot resumed: no certificate, no signature, about
# 60 % of the client's CPU, against the full handshake every ferry-bench connection makes.
TLS_SUITES=TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256

# tls_negotiated PORT — what a default OpenSSL client (as wrk and ferry-bench are) agrees on with the
# server: "TLSv1.3 TLS_AES_128_GCM_SHA256 X25519, 0 session tickets, nothing to resume". Tickets, and a
# second connection "Reused", would mean the (d)/(g) rows are not full handshakes.
tls_negotiated() {
    local out=$WORK/tls/s_client.out sess=$WORK/tls/s_client.sess
    local suite group tickets again="nothing to resume"
    rm -f "$sess"
    openssl s_client -connect "127.0.0.1:$1" -servername localhost -msg -sess_out "$sess" </dev/null >"$out" 2>&1 || true
    suite=$(awk '/Cipher is/ { print $2 " " $NF; exit }' "$out" | tr -d ,)
    group=$(awk -F'[:,]' '/Server Temp Key/ { gsub(/ /, "", $2); print $2; exit }' "$out")
    tickets=$(grep -c 'NewSessionTicket' "$out" || true)
    [ ! -s "$sess" ] || again="a second connection: "$(openssl s_client -connect "127.0.0.1:$1" \
        -servername localhost -sess_in "$sess" </dev/null 2>&1 | awk '/^(New|Reused),/ { print $1; exit }' | tr -d ,)
    echo "$suite $group, $tickets session tickets, $again"
}

start_nginx_tls() { # PLAIN_PORT TLS_PORT — after calibrate_nopush, with the setting it kept
    write_nginx_conf "$WORK/nginx_tls" "$1" "$NOPUSH" "$2"
    start_daemon nginx_tls nginx -p "$WORK/nginx_tls" -e "$WORK/nginx_tls/logs/error.log" \
        -c "$WORK/nginx_tls/nginx.conf"
    wait_http "$1"
}

start_ferry_tls() { # PORT
    mkdir -p "$WORK/ferry_tls"
    start_daemon ferry_tls "$FERRY_SERVER" --root "$DATA" --listen "127.0.0.1:$1" --workers 8 \
        --max-per-ip 0 --max-pending 4096 --grace 2s --log-level warn --admin-socket none \
        --tls-cert "$WORK/tls/cert.pem" --tls-key "$WORK/tls/key.pem" --state-dir "$WORK/ferry_tls/state"
    wait_line ferry_tls "listening on"
}

start_lighttpd() { # PORT
    write_lighttpd_conf "$WORK/lighttpd" "$1"
    start_daemon lighttpd /usr/sbin/lighttpd -D -f "$WORK/lighttpd/lighttpd.conf"
    wait_http "$1"
}

start_apache() { # PORT
    write_apache_conf "$WORK/apache" "$1"
    start_daemon apache /usr/sbin/apache2 -f "$WORK/apache/httpd.conf" -DFOREGROUND
    wait_http "$1"
}

start_ferry() { # PORT
    mkdir -p "$WORK/ferry"
    start_daemon ferry "$FERRY_SERVER" --root "$DATA" --listen "127.0.0.1:$1" --workers 8 \
        --max-per-ip 0 --max-pending 4096 --grace 2s --log-level warn \
        --admin-socket "$WORK/ferry/admin.sock" --plaintext only --state-dir "$WORK/ferry/state"
    # --plaintext only: these rows compare plaintext with plaintext (ferry-bench and ferry-get --plaintext
    # speak Ferry without TLS); the TLS rows use start_ferry_tls and start_nginx_tls.
    wait_line ferry "listening on"
}

start_iperf() { # PORT
    start_daemon iperf3 iperf3 -s -B 127.0.0.1 -p "$1"
    sleep 0.3
}

# session_pids PID — every process in the session that PID leads (setsid made it leader).
# After "pid (comm) " a stat line reads: state ppid pgrp session ...
session_pids() {
    { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v sid="$1" '{ pid = $1; sub(/^.*\) /, ""); if ($4 == sid) print pid }'
}

# memory NAME — prints "PSS_KIB PROCESS_COUNT" summed over the daemon's session.
memory() {
    local pid files=()
    for pid in $(session_pids "${DAEMON_PID[$1]}"); do
        files+=("/proc/$pid/smaps_rollup")
    done
    { cat "${files[@]}" 2>/dev/null || true; } | awk '/^Pss:/ { total += $2; count++ } END { print total + 0, count + 0 }'
}

# cpu_ticks NAME — user+system clock ticks used so far by the daemon's live processes
# (a child that exits during a run takes its ticks along; prefork children here live long).
cpu_ticks() {
    local pid files=()
    for pid in $(session_pids "${DAEMON_PID[$1]}"); do
        files+=("/proc/$pid/stat")
    done
    { cat "${files[@]}" 2>/dev/null || true; } | awk '{ sub(/^.*\) /, ""); total += $12 + $13 } END { print total + 0 }'
}

# ctx_switches NAME — voluntary context switches so far of the daemon's live processes: a
# process that sleeps for every request (prefork) shows about one per request, an event
# loop that finds several ready connections per wake-up far fewer.
ctx_switches() {
    local pid files=()
    for pid in $(session_pids "${DAEMON_PID[$1]}"); do
        files+=("/proc/$pid/status")
    done
    { cat "${files[@]}" 2>/dev/null || true; } | awk '/^voluntary_ctxt_switches/ { total += $2 } END { print total + 0 }'
}
