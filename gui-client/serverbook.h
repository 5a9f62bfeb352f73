// Servers remembered by name: the Downloader's address book.
#pragma once

#include "client/ferryurl.h"

#include <QList>
#include <QString>

#include <optional>

class QSettings;

namespace ferry::gui {

// One remembered server. `pin` is the server's identity (the SHA-256 of its key, in the
// canonical form of client/fingerprint.h): connecting from the list requires exactly that
// identity, as a link's ?fp= does. `token` (an access capability) is kept for the access
// feature and sent nowhere yet. A link that carries them fills them in.
struct ServerEntry {
    QString name;
    QString host;
    quint16 port = 0;
    QString folder; // opened on connecting, relative to the root ("" for the root)
    QString pin;
    QString token;

    QString address() const; // "host:port", IPv6 in brackets
    // The link connecting to this entry opens: its folder, and ?fp= when it has a pin.
    client::FerryUrl url() const;
    bool operator==(const ServerEntry &) const = default;

    // A ferry:// link as a server to remember: its folder (the link's path, or the
    // folder of the file it names), and `fp` / `token` query values if present; the
    // name defaults to the host. nullopt with a sentence in *error if it is no link,
    // or if its fp is not a server identity.
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
