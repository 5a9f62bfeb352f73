// The process's trust settings, shared by every connection of the engine: whether to speak TLS at all
// (FERRY_PLAINTEXT=1 or ferry-get --plaintext say no: loopback tests and benchmarks), whether a new
// server may be trusted on first contact (ferry-get --trust-new), the pins URLs carried (?fp=), the
// known-servers file, and what each server's connection turned out to be. A window listens to its
// signals to ask the user (first contact) or warn (changed identity); the engine itself never asks.
#pragma once

#include "knownservers.h"

#include <QHash>
#include <QObject>
#include <QSet>
#include <QString>

namespace ferry::client {

class FerryUrl;

class ServerTrust : public QObject
{
    Q_OBJECT
public:
    static ServerTrust &instance();

    bool isPlaintext() const { return m_plaintext; }
    void setPlaintext(bool plaintext) { m_plaintext = plaintext; }
    bool trustsNew() const { return m_trustNew; }
    void setTrustNew(bool trust) { m_trustNew = trust; }

    // Remembers the ?fp= of `url` (if any) for its servers, for the rest of this process.
    void requirePin(const FerryUrl &url);
    // The same for one server, e.g. one that DNS SRV named for a pinned link (serverlist.h).
    void requirePin(const QString &host, quint16 port, const QString &fingerprint);
    QString urlPin(const QString &server) const { return m_urlPins.value(server); }

    KnownServers &knownServers() { return m_known; }
    void setKnownServersPath(const QString &path) { m_known = KnownServers(path); }

    // How the last connection to `server` is protected: "TLS 1.3, pinned identity LFMI-XVNJ-…",
    // "TLS 1.3, certificate from a public authority", "plaintext (not encrypted)", or "" if unknown.
    QString securityOf(const QString &server) const { return m_security.value(server); }
    void noteSecurity(const QString &server, const QString &description);

    // Reported by connections (see the file comment). The signals go out from the event loop, never
    // from inside the TLS handshake that found the problem: a slot may well open a dialog.
    void reportUnknown(const QString &server, const QString &fingerprint);
    // True once `server` was refused at first contact, until a connection to it succeeds: a window then
    // tells its refusal as a question of trust, not with the engine's advice for the command line.
    bool isAwaitingTrust(const QString &server) const { return m_awaitingTrust.contains(server); }
    void reportChanged(const QString &server, const QString &pinned, const QString &presented);

signals:
    // First contact with a server nobody vouches for: the connection was refused; trusting it
    // (knownServers().add()) and retrying lets it through.
    void unknownServer(const QString &server, const QString &fingerprint);
    // The server presented a key other than the pinned one: refused, and no button may override it.
    void identityChanged(const QString &server, const QString &pinned, const QString &presented);
    void securityChanged(const QString &server, const QString &description);

private:
    ServerTrust();

    bool m_plaintext = false;
    bool m_trustNew = false;
    QHash<QString, QString> m_urlPins;
    QHash<QString, QString> m_security;
    QSet<QString> m_awaitingTrust;
    KnownServers m_known;
};

} // namespace ferry::client
