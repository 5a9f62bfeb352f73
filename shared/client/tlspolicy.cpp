#include "tlspolicy.h"

namespace ferry::client {

TlsVerdict decideTls(const TlsFacts &facts)
{
    // A changed identity first: not even a URL pin or a CA overrides what this user pinned before.
    if (!facts.knownPin.isEmpty() && facts.knownPin != facts.presented)
        return TlsVerdict::RefuseChanged;
    if (!facts.urlPin.isEmpty() && facts.urlPin != facts.presented)
        return TlsVerdict::RefuseUrlMismatch;
    if (!facts.knownPin.isEmpty())
        return TlsVerdict::Accept;
    if (!facts.urlPin.isEmpty())
        return TlsVerdict::AcceptAndRemember;
    if (facts.chainTrusted)
        return TlsVerdict::Accept; // not pinned: a CA-issued certificate may change key at its next renewal
    if (facts.trustNew)
        return TlsVerdict::AcceptAndRemember;
    return TlsVerdict::RefuseUnknown;
}

bool isExcusedByPin(QSslError::SslError error)
{
    switch (error) {
    case QSslError::SelfSignedCertificate:
    case QSslError::SelfSignedCertificateInChain:
    case QSslError::HostNameMismatch:
    case QSslError::CertificateUntrusted:
    case QSslError::UnableToGetLocalIssuerCertificate:
    case QSslError::UnableToVerifyFirstCertificate:
    case QSslError::UnableToGetIssuerCertificate:
    case QSslError::CertificateExpired:
    case QSslError::CertificateNotYetValid:
    case QSslError::InvalidCaCertificate:
        return true;
    default:
        return false;
    }
}

} // namespace ferry::client
