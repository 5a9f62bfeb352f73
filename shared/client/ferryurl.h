// ferry://host[:port]/path URLs, and ferry://a[:port],b[:port]/path naming several servers of one fleet.
#pragma once

#include "serverlist.h"

#include <QList>
#include <QString>

#include <optional>

namespace ferry::client {

// A parsed ferry:// URL. The port defaults to 4646 (proto::DefaultPort). The path is
// relative to the server's root, without leading slash, percent-decoded, "" for the root;
// a trailing slash is remembered as a hint that the URL names a folder.
class FerryUrl
{
public:
    FerryUrl() = default;
    FerryUrl(QString host, quint16 port, QString path);

    // Parses `text`; on failure returns nullopt and, if `error` is given, says why.
    // Accepts IPv6 literals in brackets: ferry://[::1]:4646/x.
    static std::optional<FerryUrl> parse(const QString &text, QString *error = nullptr);

    // The first server the URL names.
    QString host() const { return m_host; }
    quint16 port() const { return m_port; }
    // Every server the URL names, in its order (the first is host():port()); they serve the same tree.
    QList<ServerAddress> servers() const;
    // Whether a port was written after the (first) host; a bare domain may use DNS SRV (serverlist.h).
    bool hasExplicitPort() const { return m_explicitPort; }
    QString path() const { return m_path; }
    bool hasTrailingSlash() const { return m_trailingSlash; }
    bool isValid() const { return !m_host.isEmpty(); }
    // The server identity the URL requires (?fp=…, canonical form; fingerprint.h), or "".
    QString fingerprint() const { return m_fingerprint; }
    void setFingerprint(const QString &fingerprint) { m_fingerprint = fingerprint; }
    // The access token a capability link carries (?token=…), or "". A secret: toString() leaves it
    // out, so what is shown or logged never holds it; toLink() keeps it, for copying a link on.
    QString token() const { return m_token; }
    void setToken(const QString &token) { m_token = token; }
    // Whether `token` is written as ferry-ctl token create prints a secret (a pasted token, --token).
    static bool isTokenText(const QString &token);

    // Last path component ("" for the root).
    QString fileName() const;
    // The URL of `relative` below this one (for entries of a listed folder).
    FerryUrl child(const QString &relative) const;
    FerryUrl withServer(const QString &host, quint16 port) const;
    // The same path and pin on `servers` (at least one), e.g. the ones DNS SRV named for this URL.
    FerryUrl withServers(const QList<ServerAddress> &servers) const;
    // The same servers and pin, another path.
    FerryUrl withPath(const QString &path) const;
    // Canonical text form, percent-encoding what needs it; the port is always written, and ?fp= if set.
    QString toString() const;
    // toString() with the token too (?fp=…&token=…): a capability link to hand to someone.
    QString toLink() const;

    bool operator==(const FerryUrl &other) const;

private:
    QString m_host;
    quint16 m_port = 0;
    QString m_path;
    bool m_trailingSlash = false;
    QString m_fingerprint;
    QString m_token;
    QList<ServerAddress> m_others; // the servers after the first, for a URL naming several
    bool m_explicitPort = false;
};

} // namespace ferry::client
