// The lower half of the window: the transfer list and what can be done to it.
#pragma once

#include <QList>
#include <QWidget>

class QAction;
class QMenu;
class QMimeData;
class QToolBar;
class QTreeView;

namespace ferry::client {
class DownloadJob;
}

namespace ferry::gui {

class QueueActions;
class Settings;
class TransferModel;

// Actions work on the selected rows and are enabled only when they apply to at
// least one of them; the same QActions serve the toolbar, the context menu and the
// keyboard, so they never disagree.
class TransferView : public QWidget
{
    Q_OBJECT
public:
    // `settings` (the questions before Remove, and their answers) must outlive the view.
    TransferView(TransferModel *model, Settings *settings, QWidget *parent = nullptr);

    QTreeView *view() const { return m_view; }
    QAction *pauseAction() const { return m_pause; }
    QAction *resumeAction() const { return m_resume; }
    QAction *cancelAction() const { return m_cancel; }
    QAction *retryAction() const { return m_retry; }
    QAction *removeAction() const { return m_remove; }
    QAction *removeWithFileAction() const { return m_removeWithFile; }
    QAction *copyLinkAction() const { return m_copyLink; }
    QAction *openFileAction() const { return m_openFile; }
    QAction *openFolderAction() const { return m_openFolder; }
    QAction *clearFinishedAction() const { return m_clearFinished; }
    // Move Up/Down, Start Now, Speed Limit… on the selection.
    QueueActions *queueActions() const { return m_queueActions; }

    QList<client::DownloadJob *> selectedJobs() const;
    // The context menu for the current selection (the caller shows and deletes it).
    QMenu *createContextMenu();

signals:
    // ferry:// links dropped on the list (from the remote browser, or any other app).
    void linksDropped(const QStringList &links);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;
    static QStringList ferryLinks(const QMimeData *data);

private:
    void createActions();
    QAction *makeAction(const QString &text, int icon, const QKeySequence &key, const QString &name,
                       void (TransferView::*slot)());
    void pauseSelected();
    void resumeSelected();
    void cancelSelected();
    void retrySelected();
    void removeSelected();
    // Asks before removing unfinished downloads (unless told not to); false: keep them.
    bool confirmRemove(const QList<client::DownloadJob *> &jobs, bool *deletePartial);
    void removeSelectedWithFiles();
    bool confirmCancel(const QList<client::DownloadJob *> &jobs);
    void copyLinks();
    void openFile();
    void openFolder();
    void clearFinished();
    void updateActions();
    void showContextMenu(const QPoint &pos);

    TransferModel *m_model;
    Settings *m_settings;
    QTreeView *m_view;
    QToolBar *m_toolBar;
    QAction *m_pause;
    QAction *m_resume;
    QAction *m_cancel;
    QAction *m_retry;
    QAction *m_remove;
    QAction *m_removeWithFile;
    QAction *m_copyLink;
    QAction *m_openFile;
    QAction *m_openFolder;
    QAction *m_clearFinished;
    QueueActions *m_queueActions;
};

} // namespace ferry::gui
