#include "sumcommand.h"

#include "exitcodes.h"
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
    }
    m_requestId = m_session->sha256(url.path());
}

void SumCommand::onDigest(quint64 id, const QByteArray &digest)
{
    if (id != m_requestId)
        return;
    std::fputs(sha256sumLine(digest, m_urls.at(m_next).fileName()).constData(), stdout);
    std::fflush(stdout);
    ++m_next;
    askNext();
}

void SumCommand::onFailed(quint64 id, client::ErrorKind kind, const QString &reason)
{
    if (id != m_requestId)
        return;
    std::fprintf(stderr, "ferry-get: %s: %s\n", qPrintable(m_urls.at(m_next).toString()), qPrintable(reason));
    if (m_exitCode == ExitSuccess)
        m_exitCode = exitCodeFor(kind);
    ++m_next;
    askNext();
}

} // namespace ferry::get
