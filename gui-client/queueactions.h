// The transfer list's actions on queue order and speed: Move Up/Down, Start Now,
// Speed Limit…
#pragma once

#include <QList>
#include <QObject>

#include <functional>

class QAction;
class QWidget;

namespace ferry::client {
class DownloadJob;
class DownloadQueue;
}

namespace ferry::gui {

// Works on the selection that `selection` returns; the actions are added to `owner`
// (the transfer view), whose keyboard focus their shortcuts follow.
class QueueActions : public QObject
{
    Q_OBJECT
public:
    using Selection = std::function<QList<client::DownloadJob *>()>;

    QueueActions(client::DownloadQueue *queue, Selection selection, QWidget *owner);

    QAction *moveUpAction() const { return m_moveUp; }
    QAction *moveDownAction() const { return m_moveDown; }
    QAction *startNowAction() const { return m_startNow; }
    QAction *speedLimitAction() const { return m_speedLimit; }
    QList<QAction *> actions() const { return {m_moveUp, m_moveDown, m_startNow, m_speedLimit}; }

    void updateEnabled();

private:
    QAction *make(const QString &text, const QKeySequence &key, const QString &name);
    void move(int step);
    void startNow();
    void askSpeedLimit();

    client::DownloadQueue *m_queue;
    Selection m_selection;
    QWidget *m_owner;
    QAction *m_moveUp;
    QAction *m_moveDown;
    QAction *m_startNow;
    QAction *m_speedLimit;
};

} // namespace ferry::gui
