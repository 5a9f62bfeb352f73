// Servers remembered by name: the Downloader's address book.
#pragma once

#include "client/ferryurl.h"

#include <QList>
#include <QString>

#include <optional>

class QSettings;

namespace ferry::client {
class DownloadQueue;
}

namespace ferry::gui {

// One remembered server. `pin` is the server's identity (the SHA-256 of its key, in the
// canonical form of client/fingerprint.h): connecting from the list requires exactly that
// identity, as a link's ?fp= does. `token` is the access token connections to it present (a
// secret: it is sent only in AUTH, and shown only, masked, in the server's edit dialog). A
// link that carries them fills them in.
struct ServerEntry {
    QString name;
    QString host;
    quint16 port = 0;
    QString folder; // opened on connecting, relative to the root ("" for the root)
    QString pin;
    QString token;
    // Other servers with the same files at the same paths ("host:port, host:port"):
    // downloads from this one take their chunks from them too, each chunk checked.
    QString mirrors;

    QString address() const; // "host:port", IPv6 in brackets
    // `mirrors` as servers (empty paths); nullopt with a sentence in *error for a bad item.
    static std::optional<QList<client::FerryUrl>> parseMirrors(const QString &text, QString *error);
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
    // Tells `queue` the mirrors of every server in `servers` (DownloadQueue::setMirrors).
    static void applyMirrors(const QList<ServerEntry> &servers, client::DownloadQueue *queue);
    // Gives the engine (client::ServerTokens) the token of every server in `servers` that has one.
    static void applyTokens(const QList<ServerEntry> &servers);
    // `servers` with `token` kept for host:port: in each entry for that server, or in a new one.
    static QList<ServerEntry> withToken(QList<ServerEntry> servers, const QString &host, quint16 port,
                                        const QString &token);
};

} // namespace ferry::gui
