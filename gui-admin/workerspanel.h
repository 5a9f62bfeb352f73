// The workers view: the scoreboard strip on top, a filter row, and the sortable table with its delegate.
// Acting on a worker (kill, disconnect) is offered on the selection and in the context menu; the panel
// only asks — the window confirms and sends.
#pragma once

#include <QWidget>

class QAction;
class QCheckBox;
class QLineEdit;
class QTableView;

namespace ferry::admingui {

class ScoreboardStrip;
class WorkerFilter;
class WorkerModel;

class WorkersPanel : public QWidget
{
    Q_OBJECT
public:
    WorkersPanel(WorkerModel *model, QWidget *parent = nullptr);

    QTableView *view() const { return m_view; }
    ScoreboardStrip *strip() const { return m_strip; }
    WorkerFilter *filter() const { return m_filter; }
    QAction *killGracefulAction() const { return m_killGraceful; }
    QAction *killNowAction() const { return m_killNow; }
    QAction *disconnectAction() const { return m_disconnect; }

    // The slot of the selected worker, or -1.
    int selectedSlot() const;
    qint64 selectedConnection() const;
    void selectSlot(int slot);

    QByteArray saveHeaderState() const;
    void restoreHeaderState(const QByteArray &state);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

Q_SIGNALS:
    void killRequested(int slot, bool graceful);
    void disconnectRequested(int slot);

private:
    void setUpView();
    QWidget *createFilterRow();
    void updateActions();
    void showContextMenu(const QPoint &position);
    void showHeaderMenu(const QPoint &position);
    // The File column takes what the other columns up to Duration leave, so a row reads whole at the
    // window's width; once the user sizes it by hand (or a saved layout is restored) it is left alone.
    void fitFileColumn();
    // The selection follows a slot, not a row position: when the selected worker's row goes away (killed,
    // retired) nothing else is selected in its place, and the slot is selected again when it returns.
    void rememberSelection();
    void restoreSelection();

    WorkerModel *m_model;
    WorkerFilter *m_filter;
    ScoreboardStrip *m_strip;
    QTableView *m_view;
    QLineEdit *m_filterEdit = nullptr;
    QCheckBox *m_busyOnly = nullptr;
    QAction *m_killGraceful;
    QAction *m_killNow;
    QAction *m_disconnect;
    int m_wantedSlot = -1;
    bool m_restoringSelection = false;
    bool m_fileSizedByUser = false;
    bool m_fittingFile = false;
};

} // namespace ferry::admingui
