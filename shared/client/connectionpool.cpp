#include "connectionpool.h"

#include "connection.h"

namespace ferry::client {

ConnectionPool::ConnectionPool(QObject *parent) : QObject(parent) {}

Connection *ConnectionPool::take(const QString &host, quint16 port, QObject *owner)
{
    for (qsizetype i = 0; i < m_idle.size(); ++i) {
        Idle idle = m_idle.at(i);
        if (idle.connection->host() != host || idle.connection->port() != port)
            continue;
        m_idle.removeAt(i);
        disconnect(idle.connection, nullptr, this, nullptr);
        if (idle.since.elapsed() > MaxIdleMs || idle.connection->state() != Connection::State::Ready) {
            idle.connection->deleteLater();
            --i;
            continue;
        }
        idle.connection->setParent(owner);
        ++m_reuses;
        return idle.connection;
    }
    return nullptr;
}

void ConnectionPool::give(Connection *connection)
{
    if (connection->state() != Connection::State::Ready || m_idle.size() >= MaxIdle) {
        connection->abort();
        connection->deleteLater();
        return;
    }
    connection->setParent(this);
    connection->setBodySink({});
    connection->setBodyPacer({});
    connection->setExpectingReply(false);
    connect(connection, &Connection::failed, this, [this, connection] { drop(connection); });
    connect(connection, &Connection::messageReceived, this, [this, connection] { drop(connection); });
    QElapsedTimer since;
    since.start();
    m_idle.append({connection, since});
}

// Closed by the server, or it spoke out of turn: either way not reusable.
void ConnectionPool::drop(Connection *connection)
{
    for (qsizetype i = 0; i < m_idle.size(); ++i) {
        if (m_idle.at(i).connection == connection) {
            m_idle.removeAt(i);
            break;
        }
    }
    disconnect(connection, nullptr, this, nullptr);
    connection->abort();
    connection->deleteLater();
}

} // namespace ferry::client
