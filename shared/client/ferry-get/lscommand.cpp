#include "lscommand.h"

#include "exitcodes.h"
#include "terminaltext.h"
#include "client/session.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <cstdio>

namespace ferry::get {

using client::RemoteEntry;

namespace {

const char *kindName(RemoteEntry::Kind kind)
{
    switch (kind) {
    case RemoteEntry::Kind::File: return "file";
    case RemoteEntry::Kind::Directory: return "directory";
    case RemoteEntry::Kind::Other: return "other";
    }
    return "other";
}

char kindLetter(RemoteEntry::Kind kind)
{
    switch (kind) {
    case RemoteEntry::Kind::File: return '-';
    case RemoteEntry::Kind::Directory: return 'd';
    case RemoteEntry::Kind::Other: return '?';
    }
    return '?';
}

} // namespace

LsCommand::LsCommand(const client::FerryUrl &url, bool json, QObject *parent)
    : QObject(parent), m_url(url), m_json(json), m_session(new client::Session(this))
{
    m_session->setServersOf(url);
    connect(m_session, &client::Session::listPageReceived, this, &LsCommand::onPage);
    connect(m_session, &client::Session::statReceived, this, &LsCommand::onStat);
    connect(m_session, &client::Session::requestFailed, this, &LsCommand::onFailed);
}

void LsCommand::start()
{
    m_listId = m_session->list(m_url.path());
}

void LsCommand::onPage(quint64 id, const QList<RemoteEntry> &entries, bool last)
{
    if (id != m_listId)
        return;
    m_entries.append(entries);
    if (last)
        print();
}

// `ls` of a file lists that file, as `ls -l FILE` does.
void LsCommand::onStat(quint64 id, const RemoteEntry &entry)
{
    if (id != m_statId)
        return;
    RemoteEntry named = entry;
    named.name = m_url.fileName();
    m_entries = {named};
    print();
}

void LsCommand::onFailed(quint64 id, client::ErrorKind kind, const QString &reason)
{
    if (id == m_listId && kind == client::ErrorKind::RemoteError && !m_url.path().isEmpty()) {
        m_statId = m_session->stat(m_url.path()); // perhaps a file rather than a folder
        m_listId = 0;
        return;
    }
    if (id != m_listId && id != m_statId)
        return;
    std::fprintf(stderr, "ferry-get: %s: %s\n", qPrintable(shownText(m_url.toString())), qPrintable(shownText(reason)));
    emit finished(exitCodeFor(kind));
}

void LsCommand::print()
{
    std::sort(m_entries.begin(), m_entries.end(),
              [](const RemoteEntry &a, const RemoteEntry &b) { return a.name < b.name; });
    if (m_json) {
        QJsonArray array;
        for (const RemoteEntry &entry : m_entries) {
            array.append(QJsonObject{{QLatin1String("name"), entry.name},
                                     {QLatin1String("type"), QLatin1String(kindName(entry.kind))},
                                     {QLatin1String("size"), double(entry.size)},
                                     {QLatin1String("mtimeNs"), QString::number(entry.mtimeNs)},
                                     {QLatin1String("modified"), entry.modified().toUTC().toString(Qt::ISODate)}});
        }
        std::fputs(withControlsEscaped(QJsonDocument(array).toJson(QJsonDocument::Indented)).constData(), stdout);
    } else {
        for (const RemoteEntry &entry : m_entries) {
            const QString when = entry.modified().toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm"));
            std::printf("%c %14lld %s %s%s\n", kindLetter(entry.kind), static_cast<long long>(entry.size),
                        qPrintable(when), qPrintable(textFor(stdout, entry.name)), entry.isDirectory() ? "/" : "");
        }
    }
    std::fflush(stdout);
    emit finished(ExitSuccess);
}

} // namespace ferry::get
