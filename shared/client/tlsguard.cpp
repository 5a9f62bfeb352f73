#include "tlsguard.h"

#include "fingerprint.h"
#include "servertrust.h"
#include "tlspolicy.h"

#include <QSslCipher>
#include <QSslConfiguration>
#include <QSslSocket>

namespace ferry::client {

namespace {

QString changedText(const QString &server, const QString &pinned, const QString &presented)
{
    return QStringLiteral(
               "\n@@@ WARNING: THE IDENTITY OF FERRY SERVER %1 HAS CHANGED! @@@\n"
               "Someone may be intercepting this connection (a man-in-the-middle attack), or the server's key\n"
               "was replaced. Nothing was sent to it.\n"
               "  pinned:    %2\n  presented: %3\n"
               "Ask the server's administrator for its identity (ferry-ctl identity). Only if it is the new one,\n"
               "remove the old pin: ferry-get known-servers remove %1\n"
               "(or in Ferry Downloader: Preferences, Known servers).")
        .arg(server, pinned, presented);
}

QString unknownText(const QString &server, const QString &presented)
{
    return QStringLiteral("first contact with %1, whose identity is %2; nothing was sent. Compare it with what the "
                          "administrator sees (ferry-ctl identity on the server); if they match, trust it: "
                          "ferry-get --trust-new, or ?fp=%2 in the URL")
        .arg(server, presented);
}

QString unacceptableText(const QString &server, const QSslError &error)
{
    return QStringLiteral("the TLS certificate of %1 is not acceptable: %2").arg(server, error.errorString());
}

} // namespace

TlsGuard::TlsGuard(QSslSocket *socket, QString host, quint16 port)
    : QObject(socket), m_socket(socket), m_host(std::move(host)), m_port(port),
      m_server(KnownServers::serverKey(m_host, m_port))
{
    QSslConfiguration config = m_socket->sslConfiguration();
    config.setProtocol(QSsl::TlsV1_3OrLater);
    config.setHandshakeMustInterruptOnError(true);
    m_socket->setSslConfiguration(config);
    // Direct: Qt requires continueInterruptedHandshake() from inside this signal's slot.
    connect(m_socket, &QSslSocket::handshakeInterruptedOnError, this, &TlsGuard::onInterrupted, Qt::DirectConnection);
    connect(m_socket, &QSslSocket::sslErrors, this, &TlsGuard::onSslErrors);
    connect(m_socket, &QSslSocket::encrypted, this, &TlsGuard::onEncrypted);
    connect(m_socket, &QSslSocket::errorOccurred, this, &TlsGuard::onSocketError);
}

void TlsGuard::connectToServer()
{
    m_socket->connectToHostEncrypted(m_host, m_port, QIODevice::ReadWrite);
}

void TlsGuard::onInterrupted(const QSslError &error)
{
    // Runs inside OpenSSL's verification: only decide here; not continuing makes the handshake fail,
    // and onSocketError() reports why.
    if (!isExcusedByPin(error.error())) {
        m_refusal = unacceptableText(m_server, error);
        return;
    }
    QSslCertificate leaf = m_socket->peerCertificate();
    if (leaf.isNull())
        leaf = error.certificate(); // at depth 0 (a self-signed server certificate): the server's own
    if (m_judged ? m_accepted : judge(leaf, false))
        m_socket->continueInterruptedHandshake();
}

void TlsGuard::onSslErrors(const QList<QSslError> &errors)
{
    QList<QSslError> excused;
    for (const QSslError &error : errors) {
        if (!isExcusedByPin(error.error())) {
            refuse(unacceptableText(m_server, error));
            return;
        }
        excused.append(error);
    }
    if (!(m_judged ? m_accepted : judge(m_socket->peerCertificate(), false))) {
        refuse(m_refusal);
        return;
    }
    m_socket->ignoreSslErrors(excused); // exactly these, for this one handshake
}

void TlsGuard::onSocketError()
{
    if (!m_refusal.isEmpty())
        emit refused(std::exchange(m_refusal, QString()), m_changed); // the reason the handshake was left to fail
}

void TlsGuard::onEncrypted()
{
    // Without certificate errors (a public CA, the right name) the pins are still checked here.
    if (!m_judged && !judge(m_socket->peerCertificate(), true)) {
        refuse(m_refusal);
        return;
    }
    if (!m_accepted) { // cannot happen: a refused handshake does not complete
        refuse(QStringLiteral("%1: TLS completed without an accepted identity").arg(m_server));
        return;
    }
    const QSslCipher cipher = m_socket->sessionCipher();
    const QString fingerprint = fingerprintOf(m_socket->peerCertificate());
    const QString how = m_pinned ? QStringLiteral("pinned identity %1").arg(shortFingerprint(fingerprint))
                                 : QStringLiteral("certificate from a trusted authority");
    ServerTrust::instance().noteSecurity(
        m_server, QStringLiteral("%1, %2 (%3)").arg(cipher.protocolString(), how, cipher.name()));
    emit secured();
}

bool TlsGuard::judge(const QSslCertificate &leaf, bool chainTrusted)
{
    m_judged = true;
    m_accepted = false;
    ServerTrust &trust = ServerTrust::instance();
    TlsFacts facts;
    facts.presented = fingerprintOf(leaf);
    facts.knownPin = trust.knownServers().fingerprintFor(m_server);
    facts.urlPin = trust.urlPin(m_server);
    facts.chainTrusted = chainTrusted;
    facts.trustNew = trust.trustsNew();
    if (facts.presented.isEmpty()) {
        m_refusal = QStringLiteral("%1 presented no usable certificate").arg(m_server);
        return false;
    }
    switch (decideTls(facts)) {
    case TlsVerdict::Accept:
        m_pinned = !facts.knownPin.isEmpty();
        m_accepted = true;
        return true;
    case TlsVerdict::AcceptAndRemember: {
        QString error;
        if (!trust.knownServers().add(m_server, facts.presented, &error))
            qWarning("%s", qPrintable(error)); // trusted for this connection; asked again next time
        m_pinned = true;
        m_accepted = true;
        return true;
    }
    case TlsVerdict::RefuseChanged:
        m_changed = true;
        m_refusal = changedText(m_server, facts.knownPin, facts.presented);
        trust.reportChanged(m_server, facts.knownPin, facts.presented);
        return false;
    case TlsVerdict::RefuseUrlMismatch:
        m_changed = true;
        m_refusal = QStringLiteral("%1 presented the identity %2, not the %3 its URL asks for; nothing was sent")
                        .arg(m_server, facts.presented, facts.urlPin);
        return false;
    case TlsVerdict::RefuseUnknown:
        m_refusal = unknownText(m_server, facts.presented);
        trust.reportUnknown(m_server, facts.presented);
        return false;
    }
    return false;
}

void TlsGuard::refuse(const QString &reason)
{
    m_refusal.clear();
    emit refused(reason, m_changed); // first: the socket's own error signals must not be the reason the user reads
    m_socket->abort();
}

} // namespace ferry::client
