#include "knownservers.h"

#include "fingerprint.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>
#include <QStandardPaths>

namespace ferry::client {

namespace {

QString defaultPath()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation)
           + QStringLiteral("/ferry/known-servers");
}

// "host:port" -> "host" ("[::1]:4646" -> "[::1]").
QString hostPart(const QString &server)
{
    const qsizetype colon = server.lastIndexOf(u':');
    return colon > 0 && !server.endsWith(u']') ? server.left(colon) : server;
}

} // namespace

KnownServers::KnownServers(QString path) : m_path(path.isEmpty() ? defaultPath() : std::move(path)) {}

QString KnownServers::serverKey(const QString &host, quint16 port)
{
    const QString shown = host.contains(u':') ? u'[' + host + u']' : host.toLower();
    return shown + u':' + QString::number(port);
}

QList<KnownServers::Entry> KnownServers::entries() const
{
    QList<Entry> entries;
    QFile file(m_path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
        return entries; // no file yet: nobody is known
    while (!file.atEnd()) {
        const QString line = QString::fromUtf8(file.readLine()).trimmed();
        if (line.isEmpty() || line.startsWith(u'#'))
            continue;
        const QStringList fields = line.split(u' ', Qt::SkipEmptyParts);
        const QString fingerprint = fields.size() == 2 ? normalizedFingerprint(fields[1]) : QString();
        if (!fingerprint.isEmpty()) // a damaged line pins nothing; it is dropped at the next write
            entries.append({fields[0], fingerprint});
    }
    return entries;
}

QString KnownServers::fingerprintFor(const QString &server) const
{
    for (const Entry &entry : entries())
        if (entry.server == server)
            return entry.fingerprint;
    return {};
}

bool KnownServers::add(const QString &server, const QString &fingerprint, QString *error)
{
    QList<Entry> all = entries();
    all.removeIf([&](const Entry &entry) { return entry.server == server; });
    all.append({server, fingerprint});
    return save(all, error);
}

int KnownServers::remove(const QString &server, QString *error)
{
    QList<Entry> all = entries();
    const bool anyPort = hostPart(server) == server;
    const qsizetype removed = all.removeIf([&](const Entry &entry) {
        return anyPort ? hostPart(entry.server) == server.toLower() : entry.server == server;
    });
    if (removed > 0 && !save(all, error))
        return 0;
    return int(removed);
}

bool KnownServers::save(const QList<Entry> &entries, QString *error) const
{
    QDir().mkpath(QFileInfo(m_path).absolutePath());
    QSaveFile file(m_path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Text)) {
        if (error)
            *error = QStringLiteral("cannot write %1: %2").arg(m_path, file.errorString());
        return false;
    }
    file.write("# Ferry servers this user trusts: HOST:PORT FINGERPRINT (see ferry-ctl identity on the server)\n");
    for (const Entry &entry : entries)
        file.write((entry.server + u' ' + entry.fingerprint + u'\n').toUtf8());
    if (!file.commit()) {
        if (error)
            *error = QStringLiteral("cannot write %1: %2").arg(m_path, file.errorString());
        return false;
    }
    return true;
}

} // namespace ferry::client
