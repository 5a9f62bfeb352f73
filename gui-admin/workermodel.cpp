#include "workermodel.h"

#include "format.h"
#include "desktop/plaintooltip.h"

#include <QTimer>

namespace ferry::admingui {

namespace {

// Repaint rate of the fade: smooth enough to read as a flash, cheap enough for many rows.
constexpr int FlashTickMs = 100;
constexpr QColor FlashColor(255, 214, 0);

bool sameTransfer(const WorkerInfo &a, const WorkerInfo &b)
{
    return a.pid == b.pid && a.connection == b.connection && a.path == b.path
           && a.transferStartMs == b.transferStartMs && b.bytesSent >= a.bytesSent;
}

// CPU time as a precise figure for the tooltip: "850 ms", "12.3 s", then formatDuration's minutes.
QString formatCpuTime(qint64 ms)
{
    if (ms < 1000)
        return QStringLiteral("%1 ms").arg(ms);
    if (ms < 60000)
        return QStringLiteral("%1 s").arg(double(ms) / 1000.0, 0, 'f', 1);
    return formatDuration(ms / 1000);
}

// One decimal where it matters (an idle worker's 0.3 %), none where it would be noise (87 %).
QString formatCpuPercent(double percent)
{
    return QStringLiteral("%1 %").arg(percent, 0, 'f', percent < 10 ? 1 : 0);
}

} // namespace

WorkerModel::WorkerModel(QObject *parent) : QAbstractTableModel(parent), m_flashTimer(new QTimer(this))
{
    m_clock.start();
    m_flashTimer->setInterval(FlashTickMs);
    connect(m_flashTimer, &QTimer::timeout, this, &WorkerModel::fadeFlashes);
}

int WorkerModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int WorkerModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant WorkerModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &row = m_rows.at(index.row());
    const WorkerInfo &w = row.worker;
    switch (role) {
    case Qt::DisplayRole: return display(row, index.column());
    case SortRole: return sortValue(row, index.column());
    case ProgressRole:
        return w.bytesTotal > 0 && w.transferStartMs > 0 ? qBound(0.0, double(w.bytesSent) / double(w.bytesTotal), 1.0)
                                                         : -1.0;
    case StateRole: return stateRoleValue(row.state);
    case FlashRole: return flashLevel(row);
    case SlotRole: return int(w.slot);
    case Qt::BackgroundRole: return background(row);
    case Qt::DecorationRole: return index.column() == StateColumn ? workerStateColor(row.state) : QVariant();
    case Qt::ToolTipRole:
        if (index.column() == StateColumn)
            return workerStateDescription(row.state);
        if (index.column() == FileColumn || index.column() == LastExitColumn) // a path the client chose
            return desktop::plainToolTip(display(row, index.column()).toString());
        if ((index.column() == PeerColumn || index.column() == ConnectionColumn) && w.connection > 0)
            return tr("Connection %1 (the id to disconnect)").arg(w.connection);
        if (index.column() == CpuColumn && w.cpuMs >= 0)
            return tr("%1 of CPU time since the process started").arg(formatCpuTime(w.cpuMs));
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() == StateColumn || index.column() == PeerColumn || index.column() == FileColumn
            || index.column() == LastExitColumn)
            return QVariant::fromValue(Qt::AlignLeft | Qt::AlignVCenter);
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    default: return {};
    }
}

QVariant WorkerModel::display(const Row &row, int column) const
{
    const WorkerInfo &w = row.worker;
    const bool transferring = w.transferStartMs > 0;
    switch (column) {
    case SlotColumn: return int(w.slot);
    case PidColumn: return qint64(w.pid);
    case GenerationColumn: return qint64(w.generation);
    case StateColumn: return !row.state ? toQString(w.state) : reportedStateName(row.state);
    case ConnectionColumn: return w.connection > 0 ? QVariant(qint64(w.connection)) : QVariant(QString());
    case PeerColumn: return toQString(w.peer);
    case FileColumn: return toQString(w.path);
    case ProgressColumn: return {}; // drawn by the delegate from ProgressRole
    case BytesColumn:
        if (!transferring)
            return QString();
        return w.bytesTotal > 0 ? tr("%1 of %2").arg(formatBytes(w.bytesSent), formatBytes(w.bytesTotal))
                                : formatBytes(w.bytesSent);
    case SpeedColumn: return transferring && isBusyState(row.state) ? formatRate(row.speedBps) : QString();
    case DurationColumn:
        return transferring && row.nowMs >= w.transferStartMs ? formatDuration((row.nowMs - w.transferStartMs) / 1000)
                                                              : QString();
    case RequestsColumn: return qint64(w.requests);
    case CpuColumn:
        if (w.cpuMs < 0)
            return QStringLiteral("–"); // the server could not read it
        return row.cpuPercent < 0 ? QString() : formatCpuPercent(row.cpuPercent);
    case RssColumn: return formatBytes(w.rssBytes);
    case FdsColumn: return w.openFds < 0 ? QStringLiteral("–") : QString::number(w.openFds);
    case LastExitColumn: return toQString(w.lastExit);
    default: return {};
    }
}

QVariant WorkerModel::sortValue(const Row &row, int column) const
{
    const WorkerInfo &w = row.worker;
    switch (column) {
    case SlotColumn: return int(w.slot);
    case PidColumn: return qint64(w.pid);
    case GenerationColumn: return qint64(w.generation);
    case StateColumn: return stateRoleValue(row.state);
    case ConnectionColumn: return qint64(w.connection);
    case PeerColumn: return toQString(w.peer);
    case FileColumn: return toQString(w.path);
    case ProgressColumn: return w.bytesTotal > 0 ? double(w.bytesSent) / double(w.bytesTotal) : -1.0;
    case BytesColumn: return qint64(w.bytesSent);
    case SpeedColumn: return row.speedBps;
    case DurationColumn: return w.transferStartMs > 0 ? qint64(row.nowMs - w.transferStartMs) : qint64(-1);
    case RequestsColumn: return qint64(w.requests);
    case CpuColumn: return row.cpuPercent;
    case RssColumn: return qint64(w.rssBytes);
    case FdsColumn: return qint64(w.openFds);
    case LastExitColumn: return toQString(w.lastExit);
    default: return {};
    }
}

QVariant WorkerModel::background(const Row &row) const
{
    const qreal level = flashLevel(row);
    if (level <= 0)
        return {};
    QColor color = FlashColor;
    color.setAlphaF(0.15 + 0.6 * level);
    return color;
}

QVariant WorkerModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return {};
    struct Header {
        Column column;
        const char *title;
        const char *tip;
    };
    static constexpr Header Headers[] = {
        {SlotColumn, QT_TR_NOOP("Slot"), QT_TR_NOOP("Scoreboard slot")},
        {StateColumn, QT_TR_NOOP("State"), QT_TR_NOOP("What the worker is doing")},
        {ConnectionColumn, QT_TR_NOOP("Conn"), QT_TR_NOOP("Connection id being served (the id to disconnect)")},
        {PeerColumn, QT_TR_NOOP("Peer"), QT_TR_NOOP("Client address")},
        {FileColumn, QT_TR_NOOP("File"), QT_TR_NOOP("Path of the current or last request")},
        {ProgressColumn, QT_TR_NOOP("Progress"), QT_TR_NOOP("Share of the file sent")},
        {SpeedColumn, QT_TR_NOOP("Speed"), QT_TR_NOOP("Current transfer speed")},
        {DurationColumn, QT_TR_NOOP("Duration"), QT_TR_NOOP("Time since the transfer began")},
        {BytesColumn, QT_TR_NOOP("Bytes"), QT_TR_NOOP("Body bytes sent of the announced size")},
        {RequestsColumn, QT_TR_NOOP("Requests"), QT_TR_NOOP("Requests served by this process")},
        {CpuColumn, QT_TR_NOOP("CPU"),
         QT_TR_NOOP("CPU used since the previous refresh (user + system; 100 % is one core)")},
        {RssColumn, QT_TR_NOOP("RSS"), QT_TR_NOOP("Resident memory")},
        {FdsColumn, QT_TR_NOOP("FDs"), QT_TR_NOOP("Open file descriptors")},
        {PidColumn, QT_TR_NOOP("PID"), QT_TR_NOOP("Worker process id")},
        {GenerationColumn, QT_TR_NOOP("Gen"), QT_TR_NOOP("Configuration generation the worker started with")},
        {LastExitColumn, QT_TR_NOOP("Last exit"), QT_TR_NOOP("Why the previous process in this slot ended")},
    };
    static_assert(std::size(Headers) == ColumnCount);
    for (const Header &header : Headers) {
        if (header.column != section)
            continue;
        if (role == Qt::DisplayRole)
            return tr(header.title);
        if (role == Qt::ToolTipRole)
            return tr(header.tip);
    }
    return {};
}

WorkerModel::Row WorkerModel::makeRow(const WorkerInfo &worker, qint64 nowMs, const Row *previous) const
{
    Row row;
    row.worker = worker;
    row.state = reportedState(worker.state);
    row.nowMs = nowMs;
    row.cpuPercent = cpuPercentSince(previous, worker, nowMs);
    if (worker.transferStartMs <= 0 || !isBusyState(row.state))
        return row;
    if (worker.throughputBps >= 0) {
        row.speedBps = worker.throughputBps; // the server's own measure (docs/ADMIN.md): a frozen transfer reads 0
        return row;
    }
    if (previous && sameTransfer(previous->worker, worker) && nowMs > previous->nowMs)
        row.recent = previous->recent;
    row.recent.append({nowMs, worker.bytesSent});
    // Keep one sample at or before the window's start, so the window spans SpeedWindowMs once it can.
    while (row.recent.size() > 2 && row.recent.at(1).first <= nowMs - SpeedWindowMs)
        row.recent.removeFirst();
    const auto &[oldestMs, oldestBytes] = row.recent.constFirst();
    if (row.recent.size() > 1)
        row.speedBps = (worker.bytesSent - oldestBytes) * 1000 / (nowMs - oldestMs);
    else if (nowMs > worker.transferStartMs) // the first look: the average since the transfer began
        row.speedBps = worker.bytesSent * 1000 / (nowMs - worker.transferStartMs);
    return row;
}

// CPU over the interval since the previous snapshot, on the server's clock: the figure an operator
// compares across workers. The total alone would mostly tell how old each process is.
double WorkerModel::cpuPercentSince(const Row *previous, const WorkerInfo &worker, qint64 nowMs)
{
    if (!previous || previous->worker.pid != worker.pid || previous->worker.cpuMs < 0 || worker.cpuMs < 0
        || worker.cpuMs < previous->worker.cpuMs || nowMs <= previous->nowMs)
        return -1;
    return double(worker.cpuMs - previous->worker.cpuMs) * 100.0 / double(nowMs - previous->nowMs);
}

void WorkerModel::updateFromStatus(const StatusSnapshot &status)
{
    const std::vector<WorkerInfo> &next = status.workers;
    const qint64 now = m_clock.elapsed();
    const bool firstSnapshot = m_rows.isEmpty(); // nothing "changed" on the first look: no flashing then
    qsizetype i = 0;
    qsizetype j = 0;
    while (i < m_rows.size() || j < qsizetype(next.size())) {
        if (j == qsizetype(next.size()) || (i < m_rows.size() && m_rows.at(i).worker.slot < next.at(j).slot)) {
            beginRemoveRows({}, int(i), int(i));
            m_rows.removeAt(i);
            endRemoveRows();
        } else if (i == m_rows.size() || next.at(j).slot < m_rows.at(i).worker.slot) {
            beginInsertRows({}, int(i), int(i));
            m_rows.insert(i, makeRow(next.at(j), status.nowMs, nullptr));
            m_rows[i].flashStartedMs = firstSnapshot ? -1 : now;
            endInsertRows();
            ++i, ++j;
        } else {
            Row &row = m_rows[i];
            const bool changed = row.worker.state != next.at(j).state || row.worker.pid != next.at(j).pid;
            const qint64 flash = changed ? now : row.flashStartedMs;
            row = makeRow(next.at(j), status.nowMs, &row);
            row.flashStartedMs = flash;
            ++i, ++j;
        }
    }
    if (!m_rows.isEmpty())
        Q_EMIT dataChanged(index(0, 0), index(int(m_rows.size()) - 1, ColumnCount - 1));
    fadeFlashes();
}

void WorkerModel::clear()
{
    if (m_rows.isEmpty())
        return;
    beginResetModel();
    m_rows.clear();
    endResetModel();
    m_flashTimer->stop();
}

int WorkerModel::rowForSlot(int slot) const
{
    for (qsizetype i = 0; i < m_rows.size(); ++i) {
        if (m_rows.at(i).worker.slot == slot)
            return int(i);
    }
    return -1;
}

bool WorkerModel::isFlashing(int row) const
{
    return flashLevel(m_rows.at(row)) > 0;
}

qreal WorkerModel::flashLevel(const Row &row) const
{
    if (row.flashStartedMs < 0)
        return 0;
    const qint64 age = m_clock.elapsed() - row.flashStartedMs;
    return age >= FlashDurationMs ? 0.0 : 1.0 - qreal(age) / FlashDurationMs;
}

void WorkerModel::fadeFlashes()
{
    bool anyFlashing = false;
    for (qsizetype i = 0; i < m_rows.size(); ++i) {
        Row &row = m_rows[i];
        if (row.flashStartedMs < 0)
            continue;
        if (flashLevel(row) <= 0)
            row.flashStartedMs = -1; // one last repaint below clears the colour
        else
            anyFlashing = true;
        Q_EMIT dataChanged(index(int(i), 0), index(int(i), ColumnCount - 1),
                           {Qt::BackgroundRole, FlashRole});
    }
    if (anyFlashing && !m_flashTimer->isActive())
        m_flashTimer->start();
    else if (!anyFlashing)
        m_flashTimer->stop();
}

} // namespace ferry::admingui
