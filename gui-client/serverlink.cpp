#include "serverlink.h"

#include "client/downloadqueue.h"
#include "client/servertrust.h"
#include "client/session.h"

namespace ferry::gui {

using client::DownloadJob;
using client::Session;

ServerLink::ServerLink(client::DownloadQueue *queue, QObject *parent)
    : QObject(parent)
    , m_queue(queue)
    , m_session(new Session(this))
{
    connect(m_session, &Session::stateChanged, this, &ServerLink::onSessionState);
    connect(queue, &client::DownloadQueue::jobAdded, this, &ServerLink::onJobAdded);
    connect(queue, &client::DownloadQueue::jobRemoved, this, [this](quint64 id) { m_jobStates.remove(id); });
    for (DownloadJob *job : queue->jobs())
        onJobAdded(job);
}

void ServerLink::setServer(const QString &host, quint16 port)
{
    setServers({{host, port}});
}

void ServerLink::setServers(const QList<client::ServerAddress> &servers)
{
    if (hasServer() && servers == m_session->servers()) {
        if (m_session->state() != Session::State::Ready)
            retry(); // "Connect" again to the same server means "try again"
        return;
    }
    m_session->setServers(servers);
    m_srvDomain.clear();
    startOver();
}

void ServerLink::setServersOf(const client::FerryUrl &url)
{
    if (!client::wantsSrvLookup(url)) {
        setServers(url.servers());
        return;
    }
    m_session->setServersOf(url); // again on every Connect: the record may have changed
    m_srvDomain = url.host();
    startOver();
}

void ServerLink::startOver()
{
    m_probing = false;
    m_everConnected = false;
    setStatus(Status::Disconnected, QString());
}

bool ServerLink::hasServer() const
{
    return m_session->port() != 0;
}

QList<client::ServerAddress> ServerLink::servers() const
{
    return m_session->servers();
}

namespace {

QString addressOf(const QString &host, quint16 port)
{
    return QStringLiteral("%1:%2").arg(host.contains(u':') ? u'[' + host + u']' : host).arg(port);
}

} // namespace

QString ServerLink::address() const
{
    return addressOf(m_session->host(), m_session->port());
}

QString ServerLink::serversText() const
{
    if (!m_srvDomain.isEmpty())
        return m_srvDomain;
    QStringList addresses;
    for (const client::ServerAddress &server : m_session->servers())
        addresses << addressOf(server.host, server.port);
    return addresses.join(u',');
}

bool ServerLink::isServing(const client::FerryUrl &url) const
{
    const QList<client::ServerAddress> named = url.servers();
    const QList<client::ServerAddress> ours = m_session->servers();
    const bool sameDomain = !m_srvDomain.isEmpty() && client::wantsSrvLookup(url) && url.host() == m_srvDomain;
    return hasServer() && (sameDomain || named == ours || (named.size() == 1 && ours.contains(named.first())));
}

client::FerryUrl ServerLink::urlFor(const QString &path) const
{
    QList<client::ServerAddress> order = m_session->servers();
    const client::ServerAddress current{m_session->host(), m_session->port()};
    if (const qsizetype at = order.indexOf(current); at > 0)
        order = order.mid(at) + order.mid(0, at);
    const client::FerryUrl url(m_session->host(), m_session->port(), path);
    return order.size() > 1 ? url.withServers(order) : url;
}

void ServerLink::retry()
{
    if (!hasServer())
        return;
    m_probing = true;
    m_session->connectToServer();
}

void ServerLink::onSessionState()
{
    switch (m_session->state()) {
    case Session::State::Connecting:
        if (!isDown()) // keep saying why while retrying
            setStatus(Status::Connecting, address());
        break;
    case Session::State::Ready: {
        const bool wasLost = isDown();
        m_probing = false;
        m_everConnected = true;
        const QString agent = m_session->serverAgent();
        setStatus(Status::Connected, agent.isEmpty() ? address() : QStringLiteral("%1 (%2)").arg(address(), agent));
        if (wasLost)
            retryLostJobs();
        m_queue->retryWaiting(m_session->host(), m_session->port()); // no need to sleep on
        break;
    }
    case Session::State::Failed:
        m_probing = false;
        setStatus(m_everConnected ? Status::Lost : Status::Unreachable,
                  failureText(m_session->error(), address(), m_session->errorString()));
        break;
    case Session::State::Disconnected:
        // An idle connection closed by the server is routine, unless a download
        // just lost its own: then find out whether the server is still there.
        if (m_probing)
            m_session->connectToServer();
        break;
    }
}

void ServerLink::onJobAdded(DownloadJob *job)
{
    m_jobStates.insert(job->id(), job->state());
    connect(job, &DownloadJob::stateChanged, this, [this, job](DownloadJob::State state) { onJobState(job, state); });
    // A job that cannot even connect stays Connecting: its state says nothing new.
    connect(job, &DownloadJob::retryScheduled, this, [this, job](client::ErrorKind error) {
        if (error == client::ErrorKind::ConnectionError && isOurs(job))
            probe();
    });
}

// Transferring -> Connecting is a download that lost its connection and will retry;
// Failed with a connection error is one that gave up.
void ServerLink::onJobState(DownloadJob *job, DownloadJob::State state)
{
    const DownloadJob::State previous = m_jobStates.value(job->id(), state);
    m_jobStates.insert(job->id(), state);
    if (!isOurs(job))
        return;
    const bool dropped = previous == DownloadJob::State::Transferring && state == DownloadJob::State::Connecting;
    const bool gaveUp = state == DownloadJob::State::Failed && job->error() == client::ErrorKind::ConnectionError;
    if (dropped || gaveUp)
        probe();
    else if (state == DownloadJob::State::Transferring && isDown())
        m_session->connectToServer(); // a download got through: the server is back

}

bool ServerLink::isOurs(const DownloadJob *job) const
{
    return hasServer() && job->url().servers().contains(client::ServerAddress{m_session->host(), m_session->port()});
}

void ServerLink::probe()
{
    if (m_probing || isDown())
        return;
    m_probing = true;
    if (m_session->state() != Session::State::Ready)
        m_session->connectToServer();
    // If the session still believes in its connection, it will see the close
    // shortly and report Disconnected, which continues the probe.
}

void ServerLink::retryLostJobs()
{
    for (DownloadJob *job : m_queue->jobs()) {
        if (isOurs(job) && job->state() == DownloadJob::State::Failed
            && job->error() == client::ErrorKind::ConnectionError)
            m_queue->retry(job->id());
    }
}

QString ServerLink::failureText(client::ErrorKind kind, const QString &server, const QString &why)
{
    // A changed pin comes as a terminal's many-line warning, a link's own ?fp= not matched in one line.
    if (kind == client::ErrorKind::IdentityChanged && why.trimmed().contains(u'\n'))
        return tr("%1 presented another identity than the one it is known by; refused, nothing was sent")
            .arg(server);
    // A first contact's reason names ferry-get's --trust-new; here the Trust dialog asks instead. The key
    // is known-servers' (a host name in lower case; an IPv6 address as it is, in brackets).
    const QString key = server.startsWith(u'[') ? server : server.toLower();
    if (kind == client::ErrorKind::ProtocolError && client::ServerTrust::instance().isAwaitingTrust(key))
        return tr("%1 is new and not trusted yet; nothing was sent. Retry to compare its identity and trust it")
            .arg(server);
    return why.trimmed().section(u'\n', 0, 0);
}

void ServerLink::setStatus(Status status, const QString &detail)
{
    if (m_status == status && m_detail == detail)
        return;
    m_status = status;
    m_detail = detail;
    emit statusChanged(status, detail);
}

} // namespace ferry::gui
