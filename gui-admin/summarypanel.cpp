#include "summarypanel.h"

#include "statusjson.h"
#include "format.h"
#include "desktop/plaintooltip.h"

#include <QGridLayout>
#include <QGroupBox>
#include <QLabel>

namespace ferry::admingui {

SummaryPanel::SummaryPanel(QWidget *parent) : QWidget(parent), m_grid(new QGridLayout(this))
{
    m_grid->setContentsMargins(0, 0, 0, 0);
    addGroup(tr("Server"),
             {{QStringLiteral("state"), tr("State")},     {QStringLiteral("version"), tr("Version")},
              {QStringLiteral("pid"), tr("PID")},         {QStringLiteral("uptime"), tr("Uptime")},
              {QStringLiteral("listen"), tr("Listening")}, {QStringLiteral("root"), tr("Root")}});
    addGroup(tr("Workers"),
             {{QStringLiteral("workers"), tr("Total")},     {QStringLiteral("busy"), tr("Busy")},
              {QStringLiteral("idle"), tr("Idle")},         {QStringLiteral("starting"), tr("Starting")},
              {QStringLiteral("spare"), tr("Spare")},       {QStringLiteral("recycle"), tr("Recycle")},
              {QStringLiteral("breaker"), tr("Crash breaker")}});
    addGroup(tr("Connections"),
             {{QStringLiteral("pending"), tr("Waiting")},   {QStringLiteral("parked"), tr("Parked")},
              {QStringLiteral("accepted"), tr("Accepted")}, {QStringLiteral("rejected"), tr("Rejected (busy)")},
              {QStringLiteral("bytes"), tr("Bytes sent")},  {QStringLiteral("throughput"), tr("Throughput")}});
    clear();
    // Side by side until a real width says otherwise: laid out for the default 640 px of an unshown widget,
    // the panel would ask for the height of two rows and the window would grow to give it.
    reflow(QWIDGETSIZE_MAX);
}

void SummaryPanel::addGroup(const QString &title, const QList<QPair<QString, QString>> &rows)
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
        value->setMinimumWidth(40); // clipped in a very narrow window rather than widen it; the tooltip has it all
        QFont bold = value->font();
        bold.setBold(true);
        value->setFont(bold);
        form->addWidget(name, i, 0);
        form->addWidget(value, i, 1);
        m_values.insert(rows.at(i).first, value);
    }
    form->setColumnStretch(1, 1);
    m_groups.append(box);
}

void SummaryPanel::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    reflow(width());
}

void SummaryPanel::reflow(int width)
{
    // Each group wants room for its longest label and a long value, in this font.
    QFont bold = font();
    bold.setBold(true);
    const int groupWidth = fontMetrics().horizontalAdvance(tr("Rejected (busy)"))
                           + QFontMetrics(bold).horizontalAdvance(QStringLiteral("0 (max 12, queue 64)")) + 30;
    const int spacing = m_grid->horizontalSpacing();
    int columns = int(m_groups.size());
    while (columns > 1 && columns * groupWidth + (columns - 1) * spacing > width)
        --columns;
    if (columns == m_columns)
        return;
    m_columns = columns;
    for (QWidget *group : std::as_const(m_groups))
        m_grid->removeWidget(group);
    for (int i = 0; i < m_groups.size(); ++i)
        m_grid->addWidget(m_groups.at(i), i / columns, i % columns);
    for (int column = 0; column < 3; ++column)
        m_grid->setColumnStretch(column, column < columns ? 1 : 0);
}

void SummaryPanel::set(const QString &key, const QString &text, const QString &toolTip)
{
    QLabel *label = m_values.value(key);
    if (!label)
        return;
    label->setText(text);
    label->setToolTip(desktop::plainToolTip(toolTip.isEmpty() ? text : text + QLatin1Char('\n') + toolTip));
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

QString SummaryPanel::breakerText(const admin::PoolInfo &p)
{
    if (p.breakerState == "closed" || p.breakerState.empty())
        return tr("closed");
    if (p.breakerState == "open")
        return tr("open: respawning stopped (fatal configuration error)");
    QString text = tr("%1: %2 recent crashes").arg(toQString(p.breakerState)).arg(p.recentCrashes);
    if (p.backoffMs > 0)
        text += tr(", next respawn in %1 ms").arg(p.backoffMs);
    return text;
}

void SummaryPanel::setStatus(const StatusSnapshot &status)
{
    showServer(status.server, admin::uptimeSeconds(status));
    showPool(status.pool);
}

void SummaryPanel::showServer(const admin::ServerInfo &s, qint64 uptimeS)
{
    set(QStringLiteral("state"), toQString(s.state),
        tr("accepting: taking new connections; draining: not accepting, serving what it has; "
           "stopping: finishing transfers before exit"));
    m_values.value(QStringLiteral("state"))
        ->setStyleSheet(s.state == "accepting" ? QStringLiteral("color: #2e7d32") : QStringLiteral("color: #c62828"));
    set(QStringLiteral("version"), tr("%1 (generation %2)").arg(toQString(s.version)).arg(s.generation));
    set(QStringLiteral("pid"), QString::number(s.pid));
    set(QStringLiteral("uptime"), formatDuration(uptimeS));
    // How clients reach it: the identity they pin is in the tooltip (ferry-ctl identity prints it too).
    const QString transport = s.identity.empty()        ? tr("plaintext only")
                              : s.plaintext == "allow" ? tr("TLS 1.3 and plaintext")
                                                       : tr("TLS 1.3");
    set(QStringLiteral("listen"), tr("%1 (%2)").arg(toQString(s.listen), transport),
        s.identity.empty() ? tr("Not encrypted: the server runs with --plaintext only")
                           : tr("Identity (clients pin it): %1").arg(toQString(s.identity)));
    set(QStringLiteral("root"), toQString(s.root), toQString(s.root));
}

void SummaryPanel::showPool(const admin::PoolInfo &s)
{
    set(QStringLiteral("workers"), tr("%1 of max %2").arg(s.total).arg(s.limits.maxWorkers),
        tr("Scoreboard capacity %1; the pool wanted more than max_workers %2 times")
            .arg(s.capacity).arg(s.maxWorkersReached));
    set(QStringLiteral("busy"), QString::number(s.busy));
    set(QStringLiteral("idle"), QString::number(s.idle));
    set(QStringLiteral("starting"), tr("%1 (stopping %2)").arg(s.starting).arg(s.stopping));
    set(QStringLiteral("spare"), tr("%1–%2 idle").arg(s.limits.minSpare).arg(s.limits.maxSpare),
        tr("The pool keeps between min_spare and max_spare idle workers"));
    set(QStringLiteral("recycle"), s.limits.maxRequests > 0 ? tr("after %1 requests").arg(s.limits.maxRequests)
                                                            : tr("never"));
    set(QStringLiteral("breaker"), breakerText(s));
    set(QStringLiteral("pending"), tr("%1 (max %2, queue %3)").arg(s.pending).arg(s.pendingMax).arg(s.pendingLimit));
    set(QStringLiteral("parked"), QString::number(s.parked));
    set(QStringLiteral("accepted"), QString::number(s.accepted));
    set(QStringLiteral("rejected"), QString::number(s.rejectedBusy));
    set(QStringLiteral("bytes"), formatBytes(s.bytesSent));
    set(QStringLiteral("throughput"), formatRate(s.throughputBps));
}

} // namespace ferry::admingui
