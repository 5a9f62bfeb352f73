#include "fingerprint.h"

#include <QCryptographicHash>
#include <QSslCertificate>
#include <QSslKey>

namespace ferry::client {

namespace {

constexpr char Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr int Base32Length = 52; // 256 bits in 5-bit characters, rounded up
constexpr int GroupSize = 4;

QString grouped(const QString &base32)
{
    QString out;
    for (int i = 0; i < base32.size(); ++i) {
        if (i > 0 && i % GroupSize == 0)
            out += u'-';
        out += base32[i];
    }
    return out;
}

QString base32(const QByteArray &bytes)
{
    QString out;
    quint32 buffer = 0;
    int bits = 0;
    for (const char c : bytes) {
        buffer = (buffer << 8) | quint8(c);
        bits += 8;
        while (bits >= 5) {
            out += QLatin1Char(Alphabet[(buffer >> (bits - 5)) & 31]);
            bits -= 5;
        }
    }
    if (bits > 0)
        out += QLatin1Char(Alphabet[(buffer << (5 - bits)) & 31]);
    return out;
}

} // namespace

QString fingerprintOf(const QSslCertificate &certificate)
{
    if (certificate.isNull())
        return {};
    // QSslKey::toDer() of a public key is the DER SubjectPublicKeyInfo, the bytes the server hashes
    // (tests/client/tst_tlsunits.cpp checks it against OpenSSL's).
    const QByteArray spki = certificate.publicKey().toDer();
    if (spki.isEmpty())
        return {};
    return grouped(base32(QCryptographicHash::hash(spki, QCryptographicHash::Sha256)));
}

QString normalizedFingerprint(const QString &text)
{
    QString plain;
    for (const QChar c : text) {
        if (c == u'-' || c.isSpace())
            continue;
        const QChar upper = c.toUpper();
        if (!((upper >= u'A' && upper <= u'Z') || (upper >= u'2' && upper <= u'7')))
            return {};
        plain += upper;
    }
    return plain.size() == Base32Length ? grouped(plain) : QString();
}

QString shortFingerprint(const QString &fingerprint)
{
    return fingerprint.left(2 * GroupSize + 1) + QStringLiteral("-…");
}

} // namespace ferry::client
