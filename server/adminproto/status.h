// What `status` reports (docs/ADMIN.md §4.1) as plain data, and its JSON form both ways.
// The server fills a StatusSnapshot from its supervisor and scoreboard; the admin plane serialises it;
// clients (Ferry Admin) read it back with fromJson().
#pragma once

#include "adminproto/json.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ferry::admin {

struct ServerInfo {
    std::string version;
    int64_t pid = 0;
    int64_t startedMs = 0;
    int64_t generation = 1;
    std::string listen;
    std::string root;
    std::string adminSocket;
    std::string state = "accepting"; // accepting | draining | stopping
    std::string identity;            // the fingerprint clients pin (docs/SECURITY.md); "" without TLS
    std::string plaintext = "off";   // --plaintext: off (TLS required) | allow | only
};

struct PoolLimitsInfo {
    int64_t minSpare = 0;
    int64_t maxSpare = 0;
    int64_t maxWorkers = 0;
    int64_t maxRequests = 0;
    int64_t stallTimeoutS = 0;
};

struct PoolInfo {
    int64_t total = 0, idle = 0, busy = 0, starting = 0, stopping = 0, capacity = 0;
    int64_t maxWorkersReached = 0;
    int64_t pending = 0, pendingMax = 0, pendingLimit = 0, parked = 0;
    int64_t accepted = 0, rejectedBusy = 0, bytesSent = 0, throughputBps = 0;
    std::string breakerState = "closed";
    int64_t recentCrashes = 0, backoffMs = 0;
    PoolLimitsInfo limits;
    int64_t ratePerConnection = 0, rateGlobal = 0, ratePerIp = 0;
};

struct WorkerInfo {
    int64_t slot = 0, pid = 0, generation = 0;
    std::string state;
    std::string peer;
    int64_t connection = 0;
    std::string path;
    std::string security; // "plaintext" or "TLSv1.3 <suite>" of the connection shown, "" when idle
    std::string token;      // the id of the token the request runs under, "" = anonymous or idle
    std::string tokenLabel; // that token's label
    int64_t bytesSent = 0, bytesTotal = 0;
    // Of the current transfer, measured by the admin plane (TransferRates); fromJson() gives -1 when a
    // status lacks it (an older server), so a client can tell "not measured" from a frozen transfer.
    int64_t throughputBps = 0;
    int64_t transferStartMs = 0, lastProgressMs = 0;
    int64_t requests = 0;
    int64_t openFds = -1, rssBytes = -1, cpuMs = -1;
    std::string lastExit;
};

struct StatusSnapshot {
    int64_t nowMs = 0;
    ServerInfo server;
    PoolInfo pool;
    std::vector<WorkerInfo> workers;
};

Json toJson(const PoolLimitsInfo &limits);
Json toJson(const WorkerInfo &worker);
Json toJson(const StatusSnapshot &status);

// The inverses, for clients. They never throw on what a peer sent: unknown fields are ignored, and a
// field that is missing or of the wrong type keeps its default, as docs/ADMIN.md §2 asks of clients.
// Workers come back ordered by slot. statusFromJson() is nullopt when `json` is not a STATUS object
// (no "server" or no "pool" object).
PoolLimitsInfo poolLimitsFromJson(const Json &json);
WorkerInfo workerFromJson(const Json &json);
std::optional<StatusSnapshot> statusFromJson(const Json &json);

// Seconds since the server started as of the snapshot (the "uptime_s" toJson writes); 0 if unknown.
int64_t uptimeSeconds(const StatusSnapshot &status);

// Per-process figures from /proc (open fds, RSS, CPU time); -1 for what cannot be read
// (the process just exited, or /proc is not mounted). Cost: one directory scan and two small reads.
struct ProcInfo {
    int64_t openFds = -1;
    int64_t rssBytes = -1;
    int64_t cpuMs = -1;
};
ProcInfo readProcInfo(int64_t pid);

int64_t wallClockMs();

} // namespace ferry::admin
