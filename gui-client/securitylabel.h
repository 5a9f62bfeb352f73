// The status bar's word on how the current server is protected: a closed lock and "TLS 1.3, pinned
// identity LFMI-XVNJ-…" (the whole fingerprint and the cipher in its tooltip), or an open lock and
// "Not encrypted" for a plaintext connection, or an open lock and "Identity refused" once the server
// presented another identity (the last good connection's lock would be a lie), or a grey lock and
// "Not connected" while the server is away (the last connection's protection then only in the tooltip,
// as what it was). Follows ServerTrust::securityChanged.
#pragma once

#include <QWidget>

class QLabel;

namespace ferry::gui {

class SecurityLabel : public QWidget
{
    Q_OBJECT
public:
    explicit SecurityLabel(QWidget *parent = nullptr);

    // The server shown ("host:port" as known-servers writes it); "" for none.
    void setServer(const QString &server);
    QString server() const { return m_server; }
    // The server presented another identity than its pin; until it connects again (setServer()).
    void setRefused(bool refused);
    bool isRefused() const { return m_refused; }
    // Whether the server is connected now; a window says so on every change of its link's status.
    void setConnected(bool connected);
    bool isConnected() const { return m_connected; }
    bool isEncrypted() const { return m_encrypted; }
    QString text() const;

private:
    void refresh();
    void showRefused();
    void showDisconnected(const QString &description);

    QLabel *m_icon;
    QLabel *m_text;
    QString m_server;
    bool m_encrypted = false;
    bool m_refused = false;
    bool m_connected = false;
};

} // namespace ferry::gui
