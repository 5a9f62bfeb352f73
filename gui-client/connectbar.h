// The strip at the top of the window: which server, and how the connection is.
#pragma once

#include "serverbook.h"

#include "client/ferryurl.h"

#include <QWidget>

#include <optional>

class QComboBox;
class QLabel;
class QPushButton;
class QToolButton;

namespace ferry::gui {

// Shows state; owns no connection. The main window feeds it the session's state
// and reacts to its requests. A lost server shows here, with a Retry button,
// rather than in dialogs.
class ConnectBar : public QWidget
{
    Q_OBJECT
public:
    // Unreachable: never got through to this server; Lost: it was connected and went away.
    enum class State { Disconnected, Connecting, Connected, Unreachable, Lost };
    Q_ENUM(State)

    explicit ConnectBar(QWidget *parent = nullptr);

    QString serverText() const;
    void setServerText(const QString &text);
    void setRecentServers(const QStringList &servers);
    // The servers remembered by name ("Name (host:port)"), then the recent addresses;
    // choosing one puts its address (and folder) in the field.
    void setServers(const QList<ServerEntry> &named, const QStringList &recent);
    State state() const { return m_state; }
    QString stateText() const;
    // `detail` is the reason for Unreachable and Lost, the server's name for Connected.
    void setState(State state, const QString &detail = QString());

    // Parses "host", "host:port", "[v6]:port" or a ferry:// URL (whose path names the
    // folder to open). nullopt with *error on failure: one sentence quoting `text`.
    static std::optional<client::FerryUrl> parseServer(const QString &text, QString *error);

signals:
    void connectRequested(const ferry::client::FerryUrl &url);
    void retryRequested();
    // The text could not be parsed: the reason is already shown in the bar.
    void invalidServer(const QString &reason);

private:
    void requestConnect();

    QComboBox *m_server;
    QPushButton *m_connect;
    QLabel *m_stateIcon;
    class ElidingLabel *m_stateLabel;
    QToolButton *m_retry;
    State m_state = State::Disconnected;
};

} // namespace ferry::gui
