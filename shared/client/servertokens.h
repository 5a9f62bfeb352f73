// The access tokens this process holds, one per server (PROTOCOL.md §10.2). A connection to a
// server with a token sends AUTH right after the handshake. Tokens come from capability links
// (?token=), ferry-get --token and the Downloader's server list; they are secrets, so nothing here
// writes them anywhere, and no log, title or URL shown to a person carries one.
#pragma once

#include <QHash>
#include <QList>
#include <QString>

namespace ferry::client {

class FerryUrl;
struct ServerAddress;

class ServerTokens
{
public:
    static ServerTokens &instance();

    // Keeps the token a link carries for each server the link names (a link without one changes nothing).
    void remember(const FerryUrl &url);
    // The servers a bare domain's DNS SRV record named for `url` (serverlist.h) are that domain's fleet:
    // the token of the URL, or the one kept for the domain, holds for each of them as the URL's pin does.
    // A server's own token, if it has one, stays.
    void extendTo(const FerryUrl &url, const QList<ServerAddress> &servers);
    void set(const QString &host, quint16 port, const QString &token);
    void forget(const QString &host, quint16 port);
    // The token for host:port, or "" for none.
    QString tokenFor(const QString &host, quint16 port) const;

private:
    QHash<QString, QString> m_tokens; // KnownServers::serverKey -> secret
};

} // namespace ferry::client
