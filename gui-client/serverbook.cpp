#include "serverbook.h"

#include "client/downloadqueue.h"
#include "client/ferryurl.h"
#include "client/fingerprint.h"
#include "client/knownservers.h"
#include "client/servertokens.h"

#include <QObject>
#include <QRegularExpression>
#include <QSettings>
#include <QUrl>
#include <QUrlQuery>

namespace ferry::gui {

QString ServerEntry::address() const
{
    return QStringLiteral("%1:%2").arg(host.contains(u':') ? u'[' + host + u']' : host).arg(port);
}

std::optional<QList<client::FerryUrl>> ServerEntry::parseMirrors(const QString &text, QString *error)
{
    QList<client::FerryUrl> mirrors;
    for (const QString &item : text.split(QRegularExpression(QStringLiteral("[,\\s]+")), Qt::SkipEmptyParts)) {
        const QString link = item.startsWith(QLatin1String("ferry://")) ? item : QStringLiteral("ferry://") + item;
        QString why;
        const auto url = client::FerryUrl::parse(link, &why);
        if (!url) {
            if (error)
                *error = QObject::tr("Mirror %1: %2").arg(item, why);
            return std::nullopt;
        }
        mirrors << client::FerryUrl(url->host(), url->port(), QString());
    }
    return mirrors;
}

client::FerryUrl ServerEntry::url() const
{
    client::FerryUrl link(host, port, folder + u'/');
    link.setFingerprint(client::normalizedFingerprint(pin));
    link.setToken(token); // presented with AUTH, never shown: FerryUrl::toString() leaves it out
    return link;
}

// The query carries the capability; what remains is an ordinary ferry:// link.
std::optional<ServerEntry> ServerEntry::fromLink(const QString &link, QString *error)
{
    const QUrl url(link.trimmed(), QUrl::TolerantMode);
    const QUrlQuery query(url);
    QUrl bare = url;
    bare.setQuery(QString());
    const auto parsed = client::FerryUrl::parse(bare.toString(), error);
    if (!parsed)
        return std::nullopt;
    ServerEntry entry;
    entry.name = parsed->host();
    entry.host = parsed->host();
    entry.port = parsed->port();
    const QString path = parsed->path();
    const bool folder = parsed->hasTrailingSlash() || path.isEmpty();
    entry.folder = folder ? path : path.section(u'/', 0, -2);
    const QString fp = query.queryItemValue(QStringLiteral("fp"), QUrl::FullyDecoded);
    entry.pin = client::normalizedFingerprint(fp);
    if (!fp.isEmpty() && entry.pin.isEmpty()) {
        if (error)
            *error = QObject::tr("The fp= of the link is not a server identity (52 base32 characters, as "
                                 "ferry-ctl identity prints it).");
        return std::nullopt;
    }
    entry.token = query.queryItemValue(QStringLiteral("token"), QUrl::FullyDecoded);
    return entry;
}

QList<ServerEntry> ServerBook::load(QSettings &settings)
{
    QList<ServerEntry> servers;
    const int count = settings.beginReadArray(QStringLiteral("servers"));
    for (int i = 0; i < count; ++i) {
        settings.setArrayIndex(i);
        ServerEntry entry;
        entry.name = settings.value(QStringLiteral("name")).toString();
        entry.host = settings.value(QStringLiteral("host")).toString();
        entry.port = quint16(settings.value(QStringLiteral("port")).toUInt());
        entry.folder = settings.value(QStringLiteral("folder")).toString();
        entry.pin = settings.value(QStringLiteral("pin")).toString();
        entry.token = settings.value(QStringLiteral("token")).toString();
        entry.mirrors = settings.value(QStringLiteral("mirrors")).toString();
        if (!entry.host.isEmpty() && entry.port != 0)
            servers.append(entry);
    }
    settings.endArray();
    return servers;
}

void ServerBook::save(QSettings &settings, const QList<ServerEntry> &servers)
{
    settings.remove(QStringLiteral("servers"));
    settings.beginWriteArray(QStringLiteral("servers"), int(servers.size()));
    for (int i = 0; i < servers.size(); ++i) {
        settings.setArrayIndex(i);
        const ServerEntry &entry = servers.at(i);
        settings.setValue(QStringLiteral("name"), entry.name);
        settings.setValue(QStringLiteral("host"), entry.host);
        settings.setValue(QStringLiteral("port"), entry.port);
        settings.setValue(QStringLiteral("folder"), entry.folder);
        settings.setValue(QStringLiteral("pin"), entry.pin);
        settings.setValue(QStringLiteral("token"), entry.token);
        settings.setValue(QStringLiteral("mirrors"), entry.mirrors);
    }
    settings.endArray();
}

void ServerBook::applyMirrors(const QList<ServerEntry> &servers, client::DownloadQueue *queue)
{
    for (const ServerEntry &entry : servers)
        queue->setMirrors(client::FerryUrl(entry.host, entry.port, QString()),
                          ServerEntry::parseMirrors(entry.mirrors, nullptr).value_or(QList<client::FerryUrl>{}));
}

void ServerBook::applyTokens(const QList<ServerEntry> &servers)
{
    for (const ServerEntry &entry : servers) {
        if (!entry.token.isEmpty())
            client::ServerTokens::instance().set(entry.host, entry.port, entry.token);
    }
}

QList<ServerEntry> ServerBook::withToken(QList<ServerEntry> servers, const QString &host, quint16 port,
                                         const QString &token)
{
    const QString key = client::KnownServers::serverKey(host, port);
    bool found = false;
    for (ServerEntry &entry : servers) {
        if (client::KnownServers::serverKey(entry.host, entry.port) == key) {
            entry.token = token;
            found = true;
        }
    }
    if (!found) {
        ServerEntry entry;
        entry.name = host;
        entry.host = host;
        entry.port = port;
        entry.token = token;
        servers.append(entry);
    }
    return servers;
}

} // namespace ferry::gui
