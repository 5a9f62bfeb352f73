#include "queueactions.h"

#include "client/downloadjob.h"
#include "client/downloadqueue.h"

#include <QAction>
#include <QInputDialog>
#include <QWidget>

#include <algorithm>

namespace ferry::gui {

using client::DownloadJob;

QueueActions::QueueActions(client::DownloadQueue *queue, Selection selection, QWidget *owner)
    : QObject(owner)
    , m_queue(queue)
    , m_selection(std::move(selection))
    , m_owner(owner)
    , m_moveUp(make(tr("Move &Up"), QKeySequence(tr("Ctrl+Up")), QStringLiteral("moveUpAction")))
    , m_moveDown(make(tr("Move Do&wn"), QKeySequence(tr("Ctrl+Down")), QStringLiteral("moveDownAction")))
    , m_startNow(make(tr("Start &Now"), QKeySequence(tr("Ctrl+Shift+S")), QStringLiteral("startNowAction")))
    , m_speedLimit(make(tr("Speed Li&mit…"), QKeySequence(tr("Ctrl+Shift+K")), QStringLiteral("speedLimitAction")))
{
    m_startNow->setToolTip(tr("Start the selected downloads now, beyond the number of concurrent downloads"));
    connect(m_moveUp, &QAction::triggered, this, [this] { move(-1); });
    connect(m_moveDown, &QAction::triggered, this, [this] { move(+1); });
    connect(m_startNow, &QAction::triggered, this, &QueueActions::startNow);
    connect(m_speedLimit, &QAction::triggered, this, &QueueActions::askSpeedLimit);
}

QAction *QueueActions::make(const QString &text, const QKeySequence &key, const QString &name)
{
    auto *action = new QAction(text, this);
    action->setShortcut(key);
    action->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    action->setObjectName(name);
    m_owner->addAction(action);
    return action;
}

// Moves the selected rows one step as a block; the first (or last) row stops it.
void QueueActions::move(int step)
{
    QList<int> rows;
    for (const DownloadJob *job : m_selection())
        rows.append(m_queue->indexOf(job->id()));
    std::sort(rows.begin(), rows.end());
    if (rows.isEmpty() || (step < 0 && rows.first() == 0) || (step > 0 && rows.last() == m_queue->count() - 1))
        return;
    if (step > 0)
        std::reverse(rows.begin(), rows.end());
    for (int row : rows)
        m_queue->move(m_queue->jobAt(row)->id(), row + step);
}

void QueueActions::startNow()
{
    for (const DownloadJob *job : m_selection())
        m_queue->forceStart(job->id());
    updateEnabled();
}

void QueueActions::askSpeedLimit()
{
    const QList<DownloadJob *> jobs = m_selection();
    if (jobs.isEmpty())
        return;
    QList<quint64> ids;
    for (const DownloadJob *job : jobs)
        ids.append(job->id());
    bool ok = false;
    const int kib = QInputDialog::getInt(m_owner, tr("Speed Limit"),
                                         tr("Limit for the selected downloads, in KiB/s (0: no limit):"),
                                         int(jobs.first()->speedLimit() / 1024), 0, 1024 * 1024, 64, &ok);
    if (!ok)
        return;
    for (quint64 id : ids) { // looked up again: the dialog ran the event loop
        if (DownloadJob *job = m_queue->job(id))
            job->setSpeedLimit(qint64(kib) * 1024);
    }
}

void QueueActions::updateEnabled()
{
    const QList<DownloadJob *> jobs = m_selection();
    bool canStart = false;
    for (const DownloadJob *job : jobs)
        canStart = canStart || job->state() == DownloadJob::State::Queued || job->state() == DownloadJob::State::Paused;
    m_moveUp->setEnabled(!jobs.isEmpty());
    m_moveDown->setEnabled(!jobs.isEmpty());
    m_startNow->setEnabled(canStart);
    m_speedLimit->setEnabled(!jobs.isEmpty());
}

} // namespace ferry::gui
