#include "reconnectwatch.h"

#include "statusjson.h"

#include <QCoreApplication>

namespace ferry::admingui {

void ReconnectWatch::closed(qint64 connection, const QString &peer, qint64 nowMs)
{
    m_connection = connection;
    m_host = hostOf(peer);
    m_closedMs = nowMs;
}

std::optional<QString> ReconnectWatch::check(const StatusSnapshot &status)
{
    if (m_host.isEmpty())
        return std::nullopt;
    if (status.nowMs - m_closedMs > WindowMs) {
        m_host.clear();
        return std::nullopt;
    }
    for (const WorkerInfo &w : status.workers) {
        // Connection ids only grow, so a larger one from the same host is a new connection.
        if (w.connection > m_connection && hostOf(toQString(w.peer)) == m_host) {
            const QString text =
                QCoreApplication::translate("ReconnectWatch",
                                            "The client at %1 connected again at once (connection %2, after %3 was "
                                            "closed): a disconnect does not keep a client away.")
                    .arg(m_host)
                    .arg(w.connection)
                    .arg(m_connection);
            m_host.clear();
            return text;
        }
    }
    return std::nullopt;
}

QString ReconnectWatch::hostOf(const QString &peer)
{
    if (peer.startsWith(QLatin1Char('['))) {
        const qsizetype end = peer.indexOf(QLatin1Char(']'));
        return end < 0 ? peer : peer.mid(1, end - 1);
    }
    const qsizetype colon = peer.lastIndexOf(QLatin1Char(':'));
    return colon < 0 ? peer : peer.left(colon);
}

} // namespace ferry::admingui
