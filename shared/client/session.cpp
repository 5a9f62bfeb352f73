#include "session.h"

#include "connection.h"
#include "ferryurl.h"
#include "manifestfetch.h"
#include "remoteentry_p.h"
#include "servertokens.h"
#include "servertrust.h"

#include <QTimer>

namespace ferry::client {

namespace {

// A browsing session rides out a short overload; a long one is reported.
constexpr int MaxBusyRetries = 10;

} // namespace

Session::Session(QObject *parent) : QObject(parent) {}

Session::~Session() = default;

void Session::setServer(const QString &host, quint16 port)
{
    setServers({{host, port}});
}

void Session::setServers(const QList<ServerAddress> &servers)
{
    if (servers == m_servers && !m_resolver)
        return;
    dropLookup();
    disconnectFromServer();
    m_servers = servers;
    m_serverIndex = 0;
    m_serversTried = 0;
    m_host = servers.isEmpty() ? QString() : servers.first().host;
    m_port = servers.isEmpty() ? 0 : servers.first().port;
}

void Session::setServersOf(const FerryUrl &url)
{
    setServers(url.servers()); // host() names the domain while the lookup runs
    if (!wantsSrvLookup(url))
        return;
    m_resolver = new ServerResolver(this);
    connect(m_resolver, &ServerResolver::resolved, this, [this, url](const QList<ServerAddress> &servers) {
        ServerTokens::instance().extendTo(url, servers);
        onServersResolved(servers, url.fingerprint());
    });
    m_resolver->resolve(url);
}

void Session::dropLookup()
{
    if (!m_resolver)
        return;
    disconnect(m_resolver, nullptr, this, nullptr);
    std::exchange(m_resolver, nullptr)->deleteLater();
}

// The requests queued meanwhile go to the first server found (and fail over along the others).
void Session::onServersResolved(const QList<ServerAddress> &servers, const QString &fingerprint)
{
    dropLookup();
    for (const ServerAddress &server : servers)
        ServerTrust::instance().requirePin(server.host, server.port, fingerprint);
    m_servers = servers;
    m_serverIndex = 0;
    m_serversTried = 0;
    m_host = servers.first().host;
    m_port = servers.first().port;
    if (!m_requests.empty())
        ensureConnection();
}

// The next server in the list's order, unless each was tried for the front request already.
bool Session::moveToNextServer()
{
    if (m_servers.size() < 2 || ++m_serversTried >= m_servers.size())
        return false;
    m_serverIndex = (m_serverIndex + 1) % m_servers.size();
    m_host = m_servers[m_serverIndex].host;
    m_port = m_servers[m_serverIndex].port;
    return true;
}

void Session::connectToServer()
{
    ensureConnection();
}

void Session::disconnectFromServer()
{
    if (m_connection) {
        m_connection->abort();
        m_connection->deleteLater();
        m_connection = nullptr;
    }
    failAll(ErrorKind::ConnectionError, QStringLiteral("disconnected"));
    setState(State::Disconnected);
}

quint64 Session::list(const QString &path)
{
    return enqueue(RequestKind::List, path);
}

quint64 Session::stat(const QString &path)
{
    return enqueue(RequestKind::Stat, path);
}

quint64 Session::sha256(const QString &path)
{
    return enqueue(RequestKind::Sha256, path);
}

quint64 Session::enqueue(RequestKind kind, const QString &path)
{
    Request request;
    request.id = m_nextId++;
    request.kind = kind;
    request.path = path;
    m_requests.push_back(request);
    ensureConnection();
    sendNext();
    return request.id;
}

void Session::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    emit stateChanged(state);
}

void Session::ensureConnection()
{
    if (m_resolver) {
        setState(State::Connecting); // onServersResolved() connects
        return;
    }
    if (m_connection && m_connection->state() != Connection::State::Closed)
        return;
    if (!m_connection) {
        m_connection = new Connection(this);
        connect(m_connection, &Connection::ready, this, &Session::onReady);
        connect(m_connection, &Connection::messageReceived, this, &Session::onMessage);
        connect(m_connection, &Connection::failed, this, &Session::onConnectionFailed);
    }
    setState(State::Connecting);
    m_connection->open(m_host, m_port);
}

void Session::onReady()
{
    m_serverAgent = m_connection->serverAgent();
    m_error = ErrorKind::NoError;
    m_errorString.clear();
    m_busyRetries = 0;
    setState(State::Ready);
    sendNext();
}

void Session::sendNext()
{
    if (m_requests.empty() || m_requests.front().sent || !m_connection
        || m_connection->state() != Connection::State::Ready)
        return;
    Request &request = m_requests.front();
    request.sent = true;
    const std::string path = request.path.toStdString();
    switch (request.kind) {
    case RequestKind::List: m_connection->send(proto::ListRequest{path}); break;
    case RequestKind::Stat: m_connection->send(proto::StatRequest{path}); break;
    case RequestKind::Sha256:
        // The manifest costs the server nothing more when a download of the file follows (it asks
        // the same cache entry); a DIGEST would be hashed and cached apart from it.
        request.viaManifest = ManifestFetch::isOffered(*m_connection);
        if (request.viaManifest) {
            m_manifest = ManifestAssembler();
            m_connection->send(proto::ManifestRequest{path});
        } else {
            m_connection->send(proto::DigestRequest{path, proto::DigestAlgo::Sha256});
        }
        break;
    }
    m_connection->setExpectingReply(true);
}

void Session::onMessage(const proto::Message &message)
{
    if (m_requests.empty() || !m_requests.front().sent) {
        if (isIdleClose(message)) {
            closeIdleConnection();
            return;
        }
        onConnectionFailed(ErrorKind::ProtocolError, QStringLiteral("unsolicited message from the server"), 0);
        return;
    }
    Request &request = m_requests.front();
    if (isIdleClose(message) && !request.answered && request.resends < 1) {
        // The server closed the connection as idle just as the request went out: the
        // request was never read, so it goes again on a new connection (PROTOCOL.md 3.2).
        ++request.resends;
        request.sent = false;
        closeIdleConnection();
        return;
    }
    request.answered = true;
    m_serversTried = 0;
    if (const auto *page = std::get_if<proto::ListPage>(&message); page && request.kind == RequestKind::List) {
        onListPage(*page);
    } else if (const auto *stat = std::get_if<proto::StatReply>(&message); stat && request.kind == RequestKind::Stat) {
        onStatReply(*stat);
    } else if (const auto *digest = std::get_if<proto::DigestReply>(&message);
               digest && request.kind == RequestKind::Sha256 && !request.viaManifest
               && digest->algo == proto::DigestAlgo::Sha256 && digest->digest.size() == 32) {
        onDigestReply(*digest);
    } else if (const auto *manifestPage = std::get_if<proto::ManifestPage>(&message);
               manifestPage && request.kind == RequestKind::Sha256 && request.viaManifest) {
        onManifestPage(*manifestPage);
    } else if (const auto *error = std::get_if<proto::Error>(&message)) {
        const Request done = request;
        finishFront();
        emit requestFailed(done.id, kindOf(*error), remoteErrorText(*error, done.path));
    } else {
        if (m_connection)
            m_connection->abort();
        onConnectionFailed(ErrorKind::ProtocolError, QStringLiteral("unexpected answer from the server"), 0);
    }
}

// A server closes a quiet connection with ERROR TIMEOUT (idle, or no request after the
// handshake) or SHUTTING_DOWN (draining), then closes (PROTOCOL.md 3.2, 3.3).
bool Session::isIdleClose(const proto::Message &message)
{
    const auto *error = std::get_if<proto::Error>(&message);
    return error && (error->code == proto::ErrorCode::Timeout || error->code == proto::ErrorCode::ShuttingDown);
}

// Routine, not a failure: the next request reconnects (and is sent then, should one be
// waiting for the connection).
void Session::closeIdleConnection()
{
    if (m_connection)
        m_connection->abort();
    setState(State::Disconnected);
    if (!m_requests.empty())
        ensureConnection();
}

void Session::onListPage(const proto::ListPage &page)
{
    QList<RemoteEntry> entries;
    entries.reserve(qsizetype(page.entries.size()));
    for (const proto::Entry &entry : page.entries)
        entries.append(toRemoteEntry(entry));
    const quint64 id = m_requests.front().id;
    if (page.last)
        finishFront();
    emit listPageReceived(id, entries, page.last);
}

void Session::onStatReply(const proto::StatReply &reply)
{
    const quint64 id = m_requests.front().id;
    finishFront();
    emit statReceived(id, toRemoteEntry(reply.entry));
}

void Session::onDigestReply(const proto::DigestReply &reply)
{
    const quint64 id = m_requests.front().id;
    finishFront();
    emit sha256Received(id, QByteArray::fromStdString(reply.digest));
}

// A refused manifest ends its connection (the rest of its pages would answer the next request) but
// not the session: the next request reconnects.
void Session::onManifestPage(const proto::ManifestPage &page)
{
    const quint64 id = m_requests.front().id;
    if (const auto refused = m_manifest.addPage(pageFields(page))) {
        const QString reason = QStringLiteral("%1:%2 sent a malformed manifest of %3: %4")
                                   .arg(m_host)
                                   .arg(m_port)
                                   .arg(m_requests.front().path, *refused);
        m_connection->abort();
        setState(State::Disconnected);
        finishFront();
        emit requestFailed(id, ErrorKind::ProtocolError, reason);
        return;
    }
    if (!m_manifest.isComplete())
        return;
    const QByteArray digest = m_manifest.manifest().fileSha256();
    m_manifest = ManifestAssembler(); // a large file's entries are not kept past their answer
    finishFront();
    emit sha256Received(id, digest);
}

// Retires the front request and sends the next one; callers emit the answer after.
void Session::finishFront()
{
    m_requests.pop_front();
    if (m_connection)
        m_connection->setExpectingReply(false);
    QTimer::singleShot(0, this, &Session::sendNext);
}

void Session::onConnectionFailed(ErrorKind kind, const QString &reason, int retryAfterMs)
{
    const bool wasReady = m_state == State::Ready;
    const bool failOver = kind == ErrorKind::ConnectionError || kind == ErrorKind::ServerBusy;
    if (!m_requests.empty() && failOver && !m_requests.front().answered && moveToNextServer()) {
        if (m_connection)
            m_connection->abort();
        m_requests.front().sent = false;
        setState(State::Connecting);
        ensureConnection();
        return;
    }
    if (!m_requests.empty() && retryable(kind, wasReady)) {
        Request &front = m_requests.front();
        front.sent = false;
        front.answered = false;
        m_serversTried = 0; // after a wait, the round starts again from this server
        const int delay = kind == ErrorKind::ServerBusy ? std::max(retryAfterMs, 100) : 0;
        setState(State::Connecting);
        QTimer::singleShot(delay, this, [this] {
            ensureConnection();
        });
        return;
    }
    if (m_requests.empty() && wasReady && kind == ErrorKind::ConnectionError) {
        setState(State::Disconnected); // the server closed an idle connection: reopen on demand
        return;
    }
    m_serversTried = 0;
    m_error = kind;
    m_errorString = reason;
    setState(State::Failed);
    emit errorOccurred(kind, reason);
    failAll(kind, reason);
}

// A connection that dies before the front request got any answer is tried once more
// (the server may have closed it as idle just as we sent); BUSY is waited out a few times.
bool Session::retryable(ErrorKind kind, bool wasReady)
{
    Request &front = m_requests.front();
    if (kind == ErrorKind::ServerBusy)
        return ++m_busyRetries <= MaxBusyRetries;
    if (kind == ErrorKind::ConnectionError && wasReady && !front.answered && front.resends < 1) {
        ++front.resends;
        return true;
    }
    return false;
}

void Session::failAll(ErrorKind kind, const QString &reason)
{
    std::deque<Request> failed;
    failed.swap(m_requests);
    for (const Request &request : failed)
        emit requestFailed(request.id, kind, reason);
}

} // namespace ferry::client
