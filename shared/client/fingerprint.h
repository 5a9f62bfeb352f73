// Server identities as people compare them: the SHA-256 of the certificate's SubjectPublicKeyInfo in
// base32 (RFC 4648, no padding), 13 groups of 4 joined by '-' — the form ferry-server logs and
// `ferry-ctl identity` prints (docs/SECURITY.md).
#pragma once

#include <QString>

class QSslCertificate;

namespace ferry::client {

// The fingerprint of `certificate`'s public key; "" for a null certificate.
QString fingerprintOf(const QSslCertificate &certificate);
// `text` in the canonical form (upper case, grouped), accepting lower case and any spacing or dashes;
// "" if it is not 52 base32 characters.
QString normalizedFingerprint(const QString &text);
// The first two groups and an ellipsis, for a status bar ("LFMI-XVNJ-…").
QString shortFingerprint(const QString &fingerprint);

} // namespace ferry::client
