#include "summarypanel.h"

#include "adminstatus.h"
#include "format.h"

#include <QGridLayout>
#include <QGroupBox>
#include <QLabel>

namespace ferry::admingui {

SummaryPanel::SummaryPanel(QWidget *parent) : QWidget(parent)
{
    auto *grid = new QGridLayout(this);
    grid->setContentsMargins(0, 0, 0, 0);
    addGroup(grid, 0, tr("Server"),
             {{QStringLiteral("state"), tr("State")},     {QStringLiteral("version"), tr("Version")},
              {QStringLiteral("pid"), tr("PID")},         {QStringLiteral("uptime"), tr("Uptime")},
              {QStringLiteral("listen"), tr("Listening")}, {QStringLiteral("root"), tr("Root")}});
    addGroup(grid, 1, tr("Workers"),
             {{QStringLiteral("workers"), tr("Total")},     {QStringLiteral("busy"), tr("Busy")},
              {QStringLiteral("idle"), tr("Idle")},         {QStringLiteral("starting"), tr("Starting")},
              {QStringLiteral("limits"), tr("Limits")},     {QStringLiteral("breaker"), tr("Crash breaker")}});
    addGroup(grid, 2, tr("Connections"),
             {{QStringLiteral("pending"), tr("Waiting")},   {QStringLiteral("parked"), tr("Parked")},
              {QStringLiteral("accepted"), tr("Accepted")}, {QStringLiteral("rejected"), tr("Rejected (busy)")},
              {QStringLiteral("bytes"), tr("Bytes sent")},  {QStringLiteral("throughput"), tr("Throughput")}});
    clear();
}

void SummaryPanel::addGroup(QGridLayout *grid, int column, const QString &title,
                            const QList<QPair<QString, QString>> &rows)
{
    auto *box = new QGroupBox(title, this);
    auto *form = new QGridLayout(box);
    form->setHorizontalSpacing(10);
    form->setVerticalSpacing(3);
    for (int i = 0; i < rows.size(); ++i) {
        auto *name = new QLabel(rows.at(i).second, box);
        name->setForegroundRole(QPalette::PlaceholderText);
        auto *value = new QLabel(box);
        value->setObjectName(QStringLiteral("summary.") + rows.at(i).first);
        value->setTextInteractionFlags(Qt::TextSelectableByMouse);
        value->setMinimumWidth(40); // may be clipped in a narrow window rather than widen it; the tooltip has it all
        QFont bold = value->font();
        bold.setBold(true);
        value->setFont(bold);
        form->addWidget(name, i, 0);
        form->addWidget(value, i, 1);
        m_values.insert(rows.at(i).first, value);
    }
    form->setColumnStretch(1, 1);
    grid->addWidget(box, 0, column);
}

void SummaryPanel::set(const QString &key, const QString &text, const QString &toolTip)
{
    QLabel *label = m_values.value(key);
    if (!label)
        return;
    label->setText(text);
    label->setToolTip(toolTip.isEmpty() ? text : text + QLatin1Char('\n') + toolTip);
}

QString SummaryPanel::valueText(const QString &key) const
{
    const QLabel *label = m_values.value(key);
    return label ? label->text() : QString();
}

void SummaryPanel::clear()
{
    for (QLabel *label : std::as_const(m_values)) {
        label->setText(QStringLiteral("–"));
        label->setToolTip({});
        label->setStyleSheet({});
    }
}

QString SummaryPanel::breakerText(const AdminStatus &s)
{
    if (s.breakerState == QLatin1String("closed") || s.breakerState.isEmpty())
        return tr("closed");
    if (s.breakerState == QLatin1String("open"))
        return tr("open: respawning stopped (fatal configuration error)");
    QString text = tr("%1: %2 recent crashes").arg(s.breakerState).arg(s.recentCrashes);
    if (s.backoffMs > 0)
        text += tr(", next respawn in %1 ms").arg(s.backoffMs);
    return text;
}

void SummaryPanel::setStatus(const AdminStatus &s)
{
    set(QStringLiteral("state"), s.serverState,
        tr("accepting: taking new connections; draining: not accepting, serving what it has; "
           "stopping: finishing transfers before exit"));
    m_values.value(QStringLiteral("state"))
        ->setStyleSheet(s.serverState == QLatin1String("accepting") ? QStringLiteral("color: #2e7d32")
                                                                    : QStringLiteral("color: #c62828"));
    set(QStringLiteral("version"), tr("%1 (generation %2)").arg(s.version).arg(s.generation));
    set(QStringLiteral("pid"), QString::number(s.pid));
    set(QStringLiteral("uptime"), formatDuration(s.uptimeS));
    // How clients reach it: the identity they pin is in the tooltip (ferry-ctl identity prints it too).
    const QString transport = s.identity.isEmpty() ? tr("plaintext only")
                              : s.plaintext == QLatin1String("allow") ? tr("TLS 1.3 and plaintext")
                                                                       : tr("TLS 1.3");
    set(QStringLiteral("listen"), tr("%1 (%2)").arg(s.listen, transport),
        s.identity.isEmpty() ? tr("Not encrypted: the server runs with --plaintext only")
                             : tr("Identity (clients pin it): %1").arg(s.identity));
    set(QStringLiteral("root"), s.root, s.root);
    set(QStringLiteral("workers"), tr("%1 of max %2").arg(s.total).arg(s.limits.maxWorkers),
        tr("Scoreboard capacity %1; the pool wanted more than max_workers %2 times")
            .arg(s.capacity).arg(s.maxWorkersReached));
    set(QStringLiteral("busy"), QString::number(s.busy));
    set(QStringLiteral("idle"), QString::number(s.idle));
    set(QStringLiteral("starting"), tr("%1 (stopping %2)").arg(s.starting).arg(s.stopping));
    set(QStringLiteral("limits"), tr("spare %1–%2, recycle %3")
                                      .arg(s.limits.minSpare).arg(s.limits.maxSpare)
                                      .arg(s.limits.maxRequests > 0 ? tr("after %1").arg(s.limits.maxRequests) : tr("never")));
    set(QStringLiteral("breaker"), breakerText(s));
    set(QStringLiteral("pending"), tr("%1 (max %2, queue %3)").arg(s.pending).arg(s.pendingMax).arg(s.pendingLimit));
    set(QStringLiteral("parked"), QString::number(s.parked));
    set(QStringLiteral("accepted"), QString::number(s.accepted));
    set(QStringLiteral("rejected"), QString::number(s.rejectedBusy));
    set(QStringLiteral("bytes"), formatBytes(s.bytesSent));
    set(QStringLiteral("throughput"), formatRate(s.throughputBps));
}

} // namespace ferry::admingui
