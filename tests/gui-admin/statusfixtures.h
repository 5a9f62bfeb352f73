// Recorded STATUS objects in the shape of docs/ADMIN.md §4.1, for model tests that need no server.
#pragma once

#include "statusjson.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QString>

namespace fixtures {

struct Worker {
    int slot;
    const char *state;
    qint64 bytesSent = 0;
    qint64 bytesTotal = 0;
    qint64 pid = 0;
    const char *path = "";
    qint64 transferStartMs = 0;
    qint64 cpuMs = 120;
    qint64 throughputBps = -1; // -1: left out, as a server before throughput_bps sends it
};

inline QJsonObject worker(const Worker &w)
{
    const bool transferring = w.transferStartMs > 0;
    QJsonObject json{
        {"slot", w.slot}, {"pid", w.pid ? w.pid : 4250 + w.slot}, {"generation", 1}, {"state", w.state},
        {"peer", transferring ? "127.0.0.1:51234" : ""}, {"connection", transferring ? 17 + w.slot : 0},
        {"path", w.path}, {"bytes_sent", w.bytesSent}, {"bytes_total", w.bytesTotal},
        {"transfer_start_ms", w.transferStartMs}, {"last_progress_ms", w.transferStartMs},
        {"requests", 3}, {"open_fds", 6}, {"rss_bytes", 3473408}, {"cpu_ms", w.cpuMs}, {"last_exit", ""},
        {"a_field_from_the_future", true}};
    if (w.throughputBps >= 0)
        json.insert(QStringLiteral("throughput_bps"), w.throughputBps);
    return json;
}

inline QJsonObject status(qint64 nowMs, const QList<Worker> &workers, int maxWorkers = 8, qint64 throughput = 0)
{
    QJsonArray list;
    int busy = 0;
    for (const Worker &w : workers) {
        list.append(worker(w));
        busy += QByteArray(w.state) == "sending" || QByteArray(w.state) == "reading";
    }
    const QJsonObject server{{"version", "0.1.0"}, {"pid", 4242}, {"started_ms", nowMs - 1000000},
                             {"uptime_s", 1000}, {"generation", 1}, {"listen", "127.0.0.1:4646"},
                             {"root", "/srv/files"}, {"admin_socket", "/tmp/a.sock"}, {"state", "accepting"},
                             {"identity", "LFMI-XVNJ-B34P-7VDO-S2GD-NHJ4-L7MA-IQDC-YNUY-H57T-UEWG-LWSO-KEPQ"},
                             {"plaintext", "off"}};
    const QJsonObject pool{{"total", int(workers.size())}, {"idle", int(workers.size()) - busy}, {"busy", busy},
                           {"starting", 0}, {"stopping", 0}, {"capacity", 256}, {"max_workers_reached", 0},
                           {"pending", 0}, {"pending_max", 3}, {"pending_limit", 64}, {"parked", 5},
                           {"accepted", 1200}, {"rejected_busy", 4}, {"bytes_sent", 73400320},
                           {"throughput_bps", throughput},
                           {"breaker", QJsonObject{{"state", "closed"}, {"recent_crashes", 0}, {"backoff_ms", 0}}},
                           {"limits", QJsonObject{{"min_spare", 2}, {"max_spare", 8}, {"max_workers", maxWorkers},
                                                  {"max_requests", 10000}, {"stall_timeout_s", 30}}},
                           {"rate_limit",
                            QJsonObject{{"per_connection", 1048576}, {"global", 0}, {"per_ip", 2097152}}}};
    return QJsonObject{{"now_ms", nowMs}, {"server", server}, {"pool", pool}, {"workers", list}};
}

// A STATUS object as the app reads it: through adminproto's statusFromJson (gui-admin/statusjson.h).
inline ferry::admin::StatusSnapshot snapshot(const QJsonObject &json)
{
    return ferry::admingui::statusFromJson(json).value_or(ferry::admin::StatusSnapshot());
}

} // namespace fixtures
