#include "serverbook.h"

#include "client/ferryurl.h"
#include "client/fingerprint.h"

#include <QSettings>
#include <QUrl>
#include <QUrlQuery>

namespace ferry::gui {

QString ServerEntry::address() const
{
    return QStringLiteral("%1:%2").arg(host.contains(u':') ? u'[' + host + u']' : host).arg(port);
}

client::FerryUrl ServerEntry::url() const
{
    client::FerryUrl link(host, port, folder + u'/');
    link.setFingerprint(client::normalizedFingerprint(pin));
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
    }
    settings.endArray();
}

} // namespace ferry::gui
