// Ferry Downloader's main window: connect bar, remote browser, transfers.
#pragma once

#include "serverlink.h"

#include <QHash>
#include <QMainWindow>
#include <QTimer>

class QLabel;
class QSplitter;

namespace ferry::client {
class DownloadQueue;
class FerryUrl;
}

namespace ferry::gui {

class ConnectBar;
class NotificationBar;
class TokenPrompt;
class Notifier;
class TrayIcon;
class DesktopNotifier;
class RemoteBrowser;
class SecurityLabel;
class TrustPrompter;
class Settings;
class TransferModel;
class TransferView;

// Assembles the parts and carries state between them and Settings; it holds no
// transfer logic of its own. The queue is saved whenever a job changes state
// (debounced) and when the window goes away, so quitting — or a crash — at any
// moment leaves a queue that the next start resumes from the .part files.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    // `settings` must outlive the window.
    explicit MainWindow(Settings *settings, QWidget *parent = nullptr);
    ~MainWindow() override;

    // Connects to the URL's server; a folder is browsed, a file is downloaded.
    void openUrl(const client::FerryUrl &url);
    // Links as given on a command line or handed over by a later launch: each is opened,
    // and what cannot be parsed is said in the window's status bar (until the next message).
    void openLinks(const QStringList &links);

    client::DownloadQueue *queue() const { return m_queue; }
    ServerLink *link() const { return m_link; }
    ConnectBar *connectBar() const { return m_connectBar; }
    RemoteBrowser *browser() const { return m_browser; }
    TransferModel *transferModel() const { return m_transferModel; }
    TransferView *transferView() const { return m_transferView; }
    SecurityLabel *securityLabel() const { return m_security; }
    NotificationBar *notificationBar() const { return m_notificationBar; }
    DesktopNotifier *desktopNotifier() const { return m_desktopNotifier; }

    // Writes the queue and the window layout to Settings now.
    void restoreQueue();
    void saveState();

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void buildLayout();
    void buildMenus();
    void connectParts();
    void restoreLayout();
    void applyPreferences();
    void connectTo(const client::FerryUrl &url);
    void useToken(const QString &linkOrToken);
    void keepToken(const QString &host, quint16 port, const QString &token); // then asks again
    // Files carry the size their listing reported, so queued rows show it (see RemoteBrowser).
    void download(const QList<ferry::client::RemoteEntry> &files, const QStringList &folders,
                  const QString &destination);
    void downloadTo(const QList<ferry::client::RemoteEntry> &files, const QStringList &folders);
    void downloadAs(const ferry::client::RemoteEntry &file, const QString &localPath);
    void onStatusChanged(ServerLink::Status status, const QString &detail);
    void onStat(quint64 requestId, const ferry::client::RemoteEntry &entry);
    void showPreferences();
    void showServers();
    bool confirmQuit();
    void updateTotals();
    void updateTitle(const QString &progress);
    void onNotify(const QString &title, const QString &text, const QString &filePath, bool failure);
    void scheduleSave();
    void watchJob(ferry::client::DownloadJob *job, int row);

    Settings *m_settings;
    client::DownloadQueue *m_queue;
    ServerLink *m_link;
    TransferModel *m_transferModel;
    ConnectBar *m_connectBar;
    RemoteBrowser *m_browser;
    TransferView *m_transferView;
    QSplitter *m_splitter;
    QLabel *m_totals;
    SecurityLabel *m_security;
    TrustPrompter *m_trust;
    NotificationBar *m_notificationBar;
    TokenPrompt *m_tokenPrompt;
    Notifier *m_notifier;
    TrayIcon *m_tray;
    DesktopNotifier *m_desktopNotifier;
    QTimer m_saveTimer;
    QHash<quint64, bool> m_openRequests; // STATs of opened URLs -> whether to browse there
    bool m_scrollToNewRow = false; // the next row added is one the user asked for
};

} // namespace ferry::gui
