// Whether to go on with a server's TLS certificate: pure, so every case is a row in a test table.
// SSH's rules with two additions (docs/SECURITY.md): a pin in the URL must match exactly, and a
// certificate a public CA issued for the host name is accepted without a prompt.
#pragma once

#include <QList>
#include <QSslError>
#include <QString>

namespace ferry::client {

struct TlsFacts {
    QString presented;      // fingerprint of the server's key
    QString knownPin;       // from known-servers; "" if the server is new
    QString urlPin;         // from ?fp= in the URL; "" if none
    bool chainTrusted = false; // no certificate errors: a CA this system trusts vouches for this host name
    bool trustNew = false;  // ferry-get --trust-new, or the Downloader's "Trust" answer
};

enum class TlsVerdict {
    Accept,           // go on
    AcceptAndRemember, // go on and pin the presented fingerprint in known-servers
    RefuseChanged,    // the pinned identity differs: hard stop, only removing the entry helps
    RefuseUrlMismatch, // the URL's ?fp= differs from what the server presented
    RefuseUnknown,    // first contact, no pin and no CA: ask (Downloader) or refuse (ferry-get)
};

TlsVerdict decideTls(const TlsFacts &facts);

// The certificate errors a pinned key makes irrelevant (who signed it, for which name, its dates).
// Anything else (a broken signature, a revoked certificate) still refuses.
bool isExcusedByPin(QSslError::SslError error);

} // namespace ferry::client
