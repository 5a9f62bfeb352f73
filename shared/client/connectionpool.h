// Idle connections kept for the next download from the same server. Internal.
#pragma once

#include <QElapsedTimer>
#include <QList>
#include <QObject>
#include <QString>

namespace ferry::client {

class Connection;

// A finished download hands its connection back here instead of closing it; the next
// job for that server skips the TCP and HELLO round trips (the server parks the
// connection meanwhile, costing it no worker). A connection the server closes while
// it waits is dropped as soon as that is noticed.
class ConnectionPool : public QObject
{
    Q_OBJECT
public:
    static constexpr int MaxIdle = 8;
    // Well under the server's default idle timeout (60 s), so a taken connection is
    // rarely one the server is about to close.
    static constexpr qint64 MaxIdleMs = 20000;

    explicit ConnectionPool(QObject *parent = nullptr);

    // A ready connection to host:port, reparented to `owner` with no signal connected
    // to it, or nullptr when none is idle.
    Connection *take(const QString &host, quint16 port, QObject *owner);
    // Keeps `connection` (which must be between requests, with nothing of the owner's
    // still connected to it) or deletes it when it is not ready or the pool is full.
    void give(Connection *connection);
    int idleCount() const { return int(m_idle.size()); }
    // How many times take() returned a connection: for tests and statistics.
    int reuseCount() const { return m_reuses; }

private:
    struct Idle {
        Connection *connection;
        QElapsedTimer since;
    };
    void drop(Connection *connection);

    QList<Idle> m_idle;
    int m_reuses = 0;
};

} // namespace ferry::client
