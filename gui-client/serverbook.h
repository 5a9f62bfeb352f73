// Servers remembered by name: the Downloader's address book.
#pragma once

#include <QList>
#include <QString>

#include <optional>

class QSettings;

namespace ferry::gui {

// One remembered server. `pin` (the server's identity, SHA-256 of its key) and
// `token` (an access capability) are kept for the TLS and access features and sent
// nowhere yet; a link that carries them fills them in.
struct ServerEntry {
    QString name;
    QString host;
    quint16 port = 0;
    QString folder; // opened on connecting, relative to the root ("" for the root)
    QString pin;
    QString token;

    QString address() const; // "host:port", IPv6 in brackets
    bool operator==(const ServerEntry &) const = default;

    // A ferry:// link as a server to remember: its folder (the link's path, or the
    // folder of the file it names), and `fp` / `token` query values if present; the
    // name defaults to the host. nullopt with a sentence in *error if it is no link.
    static std::optional<ServerEntry> fromLink(const QString &link, QString *error);
};

// Reads and writes the list as an array in the given QSettings.
class ServerBook
{
public:
    static QList<ServerEntry> load(QSettings &settings);
    static void save(QSettings &settings, const QList<ServerEntry> &servers);
};

} // namespace ferry::gui
