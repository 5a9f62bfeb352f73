// DownloadJob's servers: the list a URL names or DNS SRV gives (serverlist.h), and failing over along
// it. Moving to another server mid-download continues the .part there only with the same content: a
// verified download's when that server's manifest has the same size, chunk size and root (else the
// server is refused for this file and the .part kept, onOtherVersion()); an unverified one's when the
// BODY names the same size and mtime and the last MiB's digest agrees (else it starts over). A server
// that does not speak Ferry is not retried where the job has mirrors: they serve it (passToMirror()).
#include "downloadjob.h"

#include "servertokens.h"
#include "sourceset.h"
#include "servertrust.h"

namespace ferry::client {

bool DownloadJob::resolveServers()
{
    if (!m_servers.isEmpty())
        return true;
    if (!wantsSrvLookup(m_url)) {
        m_servers = m_url.servers();
        return true;
    }
    if (m_resolver)
        return false; // a lookup is under way
    m_resolver = new ServerResolver(this);
    connect(m_resolver, &ServerResolver::resolved, this, [this](const QList<ServerAddress> &servers) {
        m_resolver->deleteLater();
        m_resolver = nullptr;
        m_servers = servers;
        m_serverIndex = 0;
        for (const ServerAddress &server : servers) // the link's pin holds for the whole fleet
            ServerTrust::instance().requirePin(server.host, server.port, m_url.fingerprint());
        ServerTokens::instance().extendTo(m_url, servers); // and its token
        if (m_state == State::Connecting)
            beginAttempt();
    });
    setStatusText(tr("Looking up the servers of %1").arg(m_url.host()));
    m_resolver->resolve(m_url);
    return false;
}

ServerAddress DownloadJob::currentServer() const
{
    if (m_mirrorInUse >= 0 && m_mirrorInUse < m_mirrors.size())
        return ServerAddress{m_mirrors[m_mirrorInUse].host(), m_mirrors[m_mirrorInUse].port()};
    return m_servers.value(m_serverIndex, ServerAddress{m_url.host(), m_url.port()});
}

// Mirrors hold the same file at the same path, so the job goes on from the next one; the verified path
// still checks its chunks against that mirror's manifest, and the unverified one its size and mtime.
bool DownloadJob::passToMirror(ErrorKind kind, const QString &reason)
{
    if (kind != ErrorKind::ProtocolError || m_mirrors.isEmpty())
        return false;
    const ServerAddress server = currentServer();
    const QString dropped = SourceSet::dropText(server.host, server.port, reason);
    m_passedOver << dropped;
    m_droppedSources << dropped;
    emit sourceDropped(dropped);
    if (m_mirrorInUse + 1 >= m_mirrors.size()) {
        fail(kind, tr("%1: no server is left: %2").arg(m_url.path(), m_passedOver.join(QLatin1String("; "))));
        return true;
    }
    ++m_mirrorInUse;
    beginAttempt();
    return true;
}

void DownloadJob::startAtMirror(int mirrorInUse, const QStringList &reasons)
{
    if (mirrorInUse < 0 || mirrorInUse >= m_mirrors.size())
        return;
    m_mirrorInUse = mirrorInUse;
    m_passedOver = reasons;
    m_droppedSources = reasons;
    m_unannounced = reasons;
}

bool DownloadJob::failOver(ErrorKind kind)
{
    if (kind != ErrorKind::ConnectionError && kind != ErrorKind::ServerBusy)
        return false;
    return tryNextServer();
}

bool DownloadJob::tryNextServer()
{
    if (m_servers.size() < 2)
        return false;
    m_serverIndex = (m_serverIndex + 1) % m_servers.size();
    if (++m_serversFailed >= m_servers.size()) {
        m_serversFailed = 0; // each was tried: wait as for one server, then go round again from here
        return false;
    }
    beginAttempt();
    return true;
}

// Mixing two versions chunk by chunk would build a file neither server has, and starting over would
// throw away verified chunks for what may be a stale copy: the server is passed over, the .part stays,
// and with no server of the list left to try the job fails saying why (failAttempt() too, when the
// round ends on the servers that are down).
void DownloadJob::onOtherVersion(const QString &reason)
{
    dropConnection();
    m_otherVersion = reason;
    m_droppedSources << reason;
    emit sourceDropped(reason);
    if (tryNextServer())
        return;
    fail(ErrorKind::RemoteError, reason);
}

} // namespace ferry::client
