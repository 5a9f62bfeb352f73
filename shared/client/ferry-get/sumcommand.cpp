#include "sumcommand.h"

#include "exitcodes.h"
#include "terminaltext.h"
#include "client/session.h"

#include <cstdio>

namespace ferry::get {

QByteArray sha256sumLine(const QByteArray &digest, const QString &name)
{
    QByteArray file = name.toUtf8();
    const bool escaped = file.contains('\\') || file.contains('\n');
    if (escaped)
        file.replace("\\", "\\\\").replace("\n", "\\n");
    return (escaped ? "\\" : "") + digest.toHex() + "  " + file + "\n";
}

SumCommand::SumCommand(const QList<client::FerryUrl> &urls, QObject *parent)
    : QObject(parent), m_urls(urls), m_exitCode(ExitSuccess)
{
}

void SumCommand::start()
{
    askNext();
}

void SumCommand::askNext()
{
    if (m_next == m_urls.size()) {
        emit finished(m_exitCode);
        return;
    }
    const client::FerryUrl &url = m_urls.at(m_next);
    if (!m_session || m_session->host() != url.host() || m_session->port() != url.port()) {
        if (m_session)
            m_session->deleteLater();
        m_session = new client::Session(this);
        m_session->setServer(url.host(), url.port());
        connect(m_session, &client::Session::sha256Received, this, &SumCommand::onDigest);
        connect(m_session, &client::Session::requestFailed, this, &SumCommand::onFailed);
        connect(m_session, &client::Session::statReceived, this, &SumCommand::onStat);
    }
    m_requestId = m_session->sha256(url.path());
}

void SumCommand::onDigest(quint64 id, const QByteArray &digest)
{
    if (id != m_requestId)
        return;
    std::fputs(sha256sumLine(digest, textFor(stdout, m_urls.at(m_next).fileName())).constData(), stdout);
    std::fflush(stdout);
    ++m_next;
    askNext();
}

// The server refuses a MANIFEST (or DIGEST) of a folder with "'dir' is a directory" (or "''" for the root),
// which does not say what to do instead; a STAT tells a folder from a missing or unreadable file.
void SumCommand::onFailed(quint64 id, client::ErrorKind kind, const QString &reason)
{
    if (id == m_statId) { // the STAT failed too: the DIGEST's reason stands
        m_statId = 0;
        report(client::ErrorKind::RemoteError, failureText(m_refusalReason));
        return;
    }
    if (id != m_requestId)
        return;
    m_requestId = 0;
    const QString path = m_urls.at(m_next).path();
    if (kind != client::ErrorKind::RemoteError) {
        report(kind, failureText(reason));
        return;
    }
    if (path.isEmpty()) {
        report(kind, folderText()); // the root is always a folder
        return;
    }
    m_refusalReason = reason;
    m_statId = m_session->stat(path);
}

void SumCommand::onStat(quint64 id, const client::RemoteEntry &entry)
{
    if (id != m_statId)
        return;
    m_statId = 0;
    report(client::ErrorKind::RemoteError, entry.isDirectory() ? folderText() : failureText(m_refusalReason));
}

void SumCommand::report(client::ErrorKind kind, const QString &message)
{
    std::fprintf(stderr, "ferry-get: %s\n", qPrintable(shownText(message)));
    if (m_exitCode == ExitSuccess)
        m_exitCode = exitCodeFor(kind);
    ++m_next;
    askNext();
}

QString SumCommand::failureText(const QString &reason) const
{
    return m_urls.at(m_next).toString() + QStringLiteral(": ") + reason;
}

QString SumCommand::folderText() const
{
    const client::FerryUrl &folder = m_urls.at(m_next);
    return QStringLiteral("%1 is a folder: sum prints the SHA-256 of files; name them, e.g. %2 "
                          "(ferry-get ls %1 lists them)")
        .arg(folder.toString(), folder.child(QStringLiteral("NAME")).toString());
}

} // namespace ferry::get
