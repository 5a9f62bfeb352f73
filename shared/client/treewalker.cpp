#include "treewalker.h"

#include "partfile.h"
#include "serverlist.h"
#include "servertokens.h"
#include "session.h"
#include "sourceset.h"

#include <QDir>
#include <QTimer>

namespace ferry::client {

TreeWalker::TreeWalker(const FerryUrl &url, const QString &localRoot, QObject *parent)
    : QObject(parent), m_root(url), m_localRoot(localRoot), m_session(new Session(this))
{
    useServers(url.servers());
    connect(m_session, &Session::statReceived, this, &TreeWalker::onStat);
    connect(m_session, &Session::listPageReceived, this, &TreeWalker::onPage);
    connect(m_session, &Session::requestFailed, this, &TreeWalker::onFailed);
}

void TreeWalker::start()
{
    m_statPending = true;
    if (!wantsSrvLookup(m_root)) {
        m_request = m_session->stat(m_root.path());
        return;
    }
    // A bare domain: its SRV servers first, and the files found carry them, so no job looks them up again.
    auto *resolver = new ServerResolver(this);
    connect(resolver, &ServerResolver::resolved, this, [this, resolver](const QList<ServerAddress> &servers) {
        resolver->deleteLater();
        ServerTokens::instance().extendTo(m_root, servers); // the domain's token holds for its fleet
        m_root = m_root.withServers(servers);
        useServers(servers);
        m_request = m_session->stat(m_root.path());
    });
    resolver->resolve(m_root);
}

void TreeWalker::useServers(const QList<ServerAddress> &servers)
{
    m_session->setServers(servers);
}

void TreeWalker::onStat(quint64 requestId, const RemoteEntry &entry)
{
    if (requestId != m_request)
        return;
    m_statPending = false;
    if (entry.isFile()) {
        ++m_fileCount;
        emit fileFound(m_root, QDir(m_localRoot).filePath(m_root.fileName()), entry.size);
        finish(ErrorKind::NoError, QString());
        return;
    }
    if (!entry.isDirectory()) {
        finish(ErrorKind::RemoteError, tr("%1: neither a file nor a folder").arg(m_root.path()));
        return;
    }
    // The served root itself mirrors into the destination; any other folder into
    // a folder of its name there.
    const QString local = m_root.path().isEmpty() ? m_localRoot : QDir(m_localRoot).filePath(m_root.fileName());
    m_todo.append({m_root.path(), local});
    listNext();
}

void TreeWalker::listNext()
{
    if (m_todo.isEmpty()) {
        finish(ErrorKind::NoError, QString());
        return;
    }
    m_current = m_todo.takeLast();
    if (!makeDir(m_current.localPath))
        return;
    m_request = m_session->list(m_current.remotePath);
}

void TreeWalker::onPage(quint64 requestId, const QList<RemoteEntry> &entries, bool last)
{
    if (requestId != m_request)
        return;
    const QDir local(m_current.localPath);
    for (const RemoteEntry &entry : entries) {
        if (entry.name.isEmpty() || entry.name == QLatin1String(".") || entry.name == QLatin1String("..")
            || entry.name.contains(u'/'))
            continue; // never let a listing steer a path outside the destination
        const QString remote = m_current.remotePath.isEmpty() ? entry.name : m_current.remotePath + u'/' + entry.name;
        if (entry.isDirectory()) {
            m_todo.append({remote, local.filePath(entry.name)});
        } else if (entry.isFile()) {
            ++m_fileCount;
            FerryUrl file = m_root.withPath(remote); // the root's servers; the pin is already known (requirePin)
            file.setFingerprint({});
            emit fileFound(file, local.filePath(entry.name), entry.size);
        }
    }
    if (last)
        listNext();
}

void TreeWalker::onFailed(quint64 requestId, ErrorKind error, const QString &errorString)
{
    if (requestId == m_request && !passToMirror(error, errorString))
        finish(error, errorString);
}

// Only the first STAT moves to a mirror: once a listing has begun, files of it are queued already.
bool TreeWalker::passToMirror(ErrorKind error, const QString &errorString)
{
    if (error != ErrorKind::ProtocolError || !m_statPending || m_mirrors.isEmpty())
        return false;
    m_passedOver << SourceSet::dropText(m_session->host(), m_session->port(), errorString);
    if (m_mirrorInUse + 1 >= m_mirrors.size()) {
        finish(error, tr("%1: no server is left: %2").arg(m_root.path(), m_passedOver.join(QLatin1String("; "))));
        return true;
    }
    ++m_mirrorInUse;
    // From a fresh turn of the event loop: the session is still inside its failed connection's signal.
    QTimer::singleShot(0, this, [this] {
        if (m_done)
            return;
        useServers(m_mirrors[m_mirrorInUse].servers());
        m_request = m_session->stat(m_root.path());
    });
    return true;
}

bool TreeWalker::makeDir(const QString &path)
{
    QString why;
    if (PartFile::makeFolder(path, &why))
        return true;
    finish(ErrorKind::LocalError, why);
    return false;
}

void TreeWalker::finish(ErrorKind error, const QString &errorString)
{
    if (m_done)
        return;
    m_done = true;
    m_error = error;
    m_errorString = errorString;
    m_session->disconnectFromServer();
    emit finished();
}

} // namespace ferry::client
