// The TLS side of one Connection: opens the QSslSocket (TLS 1.3 only), and when the certificate does not
// verify on its own, decides with the pins (tlspolicy.h) whether to go on. Qt's interrupted handshake is
// used: at a verification error the handshake stops (handshakeInterruptedOnError), we compare the key
// with the pin and continueInterruptedHandshake() only if it matches; at the end we ignore exactly the
// errors the pin excuses (sslErrors) — never the blanket ignoreSslErrors(). Nothing of Ferry is sent
// before secured(). Make the guard before anything else connects to the socket's errorOccurred: its
// refusal must be the reason the owner reports, not Qt's "Error during SSL handshake".
#pragma once

#include <QList>
#include <QObject>
#include <QSslError>
#include <QString>

class QSslCertificate;
class QSslSocket;

namespace ferry::client {

class TlsGuard : public QObject
{
    Q_OBJECT
public:
    // `socket` is borrowed and must outlive the guard (make the guard its child).
    TlsGuard(QSslSocket *socket, QString host, quint16 port);

    void connectToServer();

signals:
    void secured();
    // The server is not the one it should be (or not yet trusted); the socket has been aborted.
    // `changed`: it is not the one its pin names (known-servers or ?fp=), not merely unknown.
    void refused(const QString &reason, bool changed);

private:
    void onInterrupted(const QSslError &error);
    void onSslErrors(const QList<QSslError> &errors);
    void onSocketError();
    void onEncrypted();
    // True: go on. False: the reason is in m_refusal.
    bool judge(const QSslCertificate &leaf, bool chainTrusted);
    void refuse(const QString &reason);

    QSslSocket *m_socket;
    QString m_host;
    quint16 m_port;
    QString m_server; // known-servers key
    bool m_judged = false;
    bool m_accepted = false;
    bool m_pinned = false;
    bool m_changed = false; // the refusal is a pin the server no longer matches
    QString m_refusal;
};

} // namespace ferry::client
