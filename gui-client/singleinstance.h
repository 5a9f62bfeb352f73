// One Ferry Downloader per user: a second launch hands its links to the first.
#pragma once

#include <QObject>
#include <QStringList>

class QLocalServer;

namespace ferry::gui {

// Two windows would keep two queues and overwrite each other's saved state, and a
// desktop starts a new process for every ferry:// link clicked. So the first
// process listens on a local socket; later ones pass their arguments there and
// exit. The socket path is absolute (QLocalServer would otherwise put a bare name
// in the temp folder) and lives in the user's runtime folder.
class SingleInstance : public QObject
{
    Q_OBJECT
public:
    explicit SingleInstance(const QString &socketPath, QObject *parent = nullptr);

    static QString defaultSocketPath();

    // True if another instance took `arguments` (this process should then exit).
    bool sendToRunning(const QStringList &arguments, int timeoutMs = 2000);
    // Becomes the instance others talk to. False with errorString() on failure.
    bool listen();
    QString errorString() const { return m_error; }

signals:
    // Arguments sent by a later launch (possibly empty: it just wants the window).
    void argumentsReceived(const QStringList &arguments);

private:
    void onNewConnection();

    QString m_path;
    QLocalServer *m_server = nullptr;
    QString m_error;
};

} // namespace ferry::gui
