// The remote side of the window: path bar, filter, listing, Download button.
#pragma once

#include "client/clienttypes.h"

#include <QList>
#include <QStringList>
#include <QWidget>

class QLabel;
class QLineEdit;
class QPushButton;
class QToolButton;
class QTreeView;

namespace ferry::client {
class Session;
}

namespace ferry::gui {

class RemoteModel;
class RemoteSortModel;

// Browses one server's tree through a RemoteModel. Navigation keeps a back
// history; double-clicking a folder enters it, a file downloads it. What to
// download is announced with downloadRequested; the window decides where it goes.
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

signals:
    // Files as listed (each entry's name is its path relative to the server root, its
    // size what the listing said), and folders to mirror recursively (paths).
    void downloadRequested(const QList<ferry::client::RemoteEntry> &files, const QStringList &folders);
    void pathChanged(const QString &path);

private:
    void setupView();
    void setupBar();
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
    QLabel *m_status;
    QStringList m_history;
    bool m_hasLocation = false; // a folder has been opened since the last reset
};

} // namespace ferry::gui
