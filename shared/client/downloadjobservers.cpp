// DownloadJob's servers: the list a URL names or DNS SRV gives (serverlist.h), and failing over along
// it. Moving to another server mid-download resumes the .part there only if the BODY names the same size
// and mtime (and the last MiB's digest agrees), as any resume does; otherwise the job starts over.
#include "downloadjob.h"

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
        if (m_state == State::Connecting)
            beginAttempt();
    });
    setStatusText(tr("Looking up the servers of %1").arg(m_url.host()));
    m_resolver->resolve(m_url);
    return false;
}

ServerAddress DownloadJob::currentServer() const
{
    return m_servers.value(m_serverIndex, ServerAddress{m_url.host(), m_url.port()});
}

bool DownloadJob::failOver(ErrorKind kind)
{
    if (kind != ErrorKind::ConnectionError && kind != ErrorKind::ServerBusy)
        return false;
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

} // namespace ferry::client
