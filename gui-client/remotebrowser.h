// The remote side of the window: path bar, filter, listing, Download button.
#pragma once

#include "client/clienttypes.h"

#include <QList>
#include <QStringList>
#include <QWidget>

class QAction;
class QLabel;
class QLineEdit;
class QMenu;
class QPushButton;
class QToolButton;
class QTreeView;

namespace ferry::client {
class Session;
}

namespace ferry::gui {

class ElidingLabel;
class RemoteModel;
class RemoteSortModel;

// Browses one server's tree through a RemoteModel. Navigation keeps a back
// history; double-clicking a folder enters it, a file downloads it. What to
// download is announced with downloadRequested (the window decides where it goes)
// or downloadToRequested (the window asks where). The actions on the selection
// (Download, Download To…, Copy Link, Properties) serve the context menu and the
// keyboard alike; rows drag out as their ferry:// links, and a single row dropped on a
// file manager's folder (X11) comes back as downloadAsRequested.
class RemoteBrowser : public QWidget
{
    Q_OBJECT
public:
    explicit RemoteBrowser(client::Session *session, QWidget *parent = nullptr);

    RemoteModel *model() const { return m_model; }
    RemoteSortModel *proxy() const { return m_proxy; }
    QTreeView *view() const { return m_view; }
    QString path() const;

    // Opens `path` (relative to the server root); `remember` adds the old one to Back.
    void openPath(const QString &path, bool remember = true);
    void goBack();
    void goUp();
    void reload();
    // Forgets listing and history (a new server).
    void reset();
    // Downloads the selected rows (the Download button).
    void downloadSelection();
    // The ferry:// link of `path` (relative to the server root) on this browser's server.
    QString linkFor(const QString &path) const;

    QAction *downloadAction() const { return m_downloadAction; }
    QAction *downloadToAction() const { return m_downloadToAction; }
    QAction *copyLinkAction() const { return m_copyLinkAction; }
    QAction *propertiesAction() const { return m_propertiesAction; }
    // The context menu for the current selection (the caller shows and deletes it).
    QMenu *createContextMenu();

signals:
    // Files as listed (each entry's name is its path relative to the server root, its
    // size what the listing said), and folders to mirror recursively (paths).
    void downloadRequested(const QList<ferry::client::RemoteEntry> &files, const QStringList &folders);
    // The same, to a folder the user is to choose.
    void downloadToRequested(const QList<ferry::client::RemoteEntry> &files, const QStringList &folders);
    // One file or folder (named as above) to be saved as exactly `localPath`: a file manager chose it.
    void downloadAsRequested(const ferry::client::RemoteEntry &file, const QString &localPath);
    void pathChanged(const QString &path);
    // The server refused this folder for want of an access token (or refused the token held).
    void accessDenied(const QString &why);

private:
    void setupView();
    void setupBar();
    void setupActions();
    QAction *makeAction(const QString &text, const QKeySequence &key, const QString &name);
    void selection(QList<client::RemoteEntry> *files, QStringList *folders) const;
    void copyLinks();
    void showProperties();
    void connectSignals();
    void onActivated(const QModelIndex &index);
    client::RemoteEntry fileToDownload(const QModelIndex &source) const;
    void onPathEdited();
    void onFilterChanged(const QString &text);
    void updateStatus();
    void updateButtons();
    QToolButton *makeButton(int icon, const QString &text, const QString &name);

    client::Session *m_session;
    RemoteModel *m_model;
    RemoteSortModel *m_proxy;
    QTreeView *m_view;
    QToolButton *m_back;
    QToolButton *m_up;
    QToolButton *m_reload;
    QLineEdit *m_pathEdit;
    QLineEdit *m_filter;
    QPushButton *m_download;
    ElidingLabel *m_status; // never widens the window, whatever the message
    QAction *m_downloadAction;
    QAction *m_downloadToAction;
    QAction *m_copyLinkAction;
    QAction *m_propertiesAction;
    QStringList m_history;
    bool m_hasLocation = false; // a folder has been opened since the last reset
};

} // namespace ferry::gui
