#include "scoreboardstrip.h"

#include "statusjson.h"

#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

#include <algorithm>

namespace ferry::admingui {

namespace {

constexpr int CellSize = 20;
constexpr int CellGap = 3;
constexpr int64_t MaxCells = 4096; // the most slots ferry-server allows (--max-workers)
constexpr int LegendGap = 6;
constexpr WorkerState LegendOrder[] = {WorkerState::Sending, WorkerState::Reading, WorkerState::Idle,
                                       WorkerState::Starting, WorkerState::Stopping,
                                       WorkerState::Empty};

QString cellToolTip(const WorkerInfo &w)
{
    QString tip = QObject::tr("Slot %1 — pid %2 — %3").arg(w.slot).arg(w.pid).arg(toQString(w.state));
    if (!w.path.empty())
        tip += QLatin1Char('\n') + toQString(w.path);
    if (!w.peer.empty())
        tip += QObject::tr("\nfor %1").arg(toQString(w.peer));
    return tip;
}

} // namespace

ScoreboardStrip::ScoreboardStrip(QWidget *parent) : QWidget(parent)
{
    QSizePolicy policy(QSizePolicy::Preferred, QSizePolicy::Minimum);
    policy.setHeightForWidth(true);
    setSizePolicy(policy);
}

QList<ScoreboardCell> ScoreboardStrip::cellsFromStatus(const StatusSnapshot &status)
{
    // Slots past max_workers show up while a lowered limit drains. The bound keeps a broken server's slot
    // number from making the strip allocate without end.
    int64_t count = std::clamp<int64_t>(status.pool.limits.maxWorkers, 0, MaxCells);
    for (const WorkerInfo &w : status.workers)
        count = std::max(count, std::min<int64_t>(w.slot + 1, MaxCells));
    QList<ScoreboardCell> cells;
    cells.reserve(count);
    for (int slot = 0; slot < int(count); ++slot)
        cells.append({slot, WorkerState::Empty, QObject::tr("Slot %1 — open, no process").arg(slot)});
    for (const WorkerInfo &w : status.workers) {
        if (w.slot >= 0 && w.slot < count)
            cells[w.slot] = {int(w.slot), reportedState(w.state), cellToolTip(w)};
    }
    return cells;
}

void ScoreboardStrip::setCells(const QList<ScoreboardCell> &cells)
{
    const bool resized = cells.size() != m_cells.size();
    m_cells = cells;
    if (resized)
        updateGeometry();
    update();
}

QString ScoreboardStrip::letters() const
{
    QString text;
    for (const ScoreboardCell &cell : m_cells)
        text += reportedStateLetter(cell.state);
    return text;
}

int ScoreboardStrip::columnsFor(int width) const
{
    return qMax(1, (width + CellGap) / (CellSize + CellGap));
}

QRect ScoreboardStrip::cellRect(int index, int columns) const
{
    return {(index % columns) * (CellSize + CellGap), (index / columns) * (CellSize + CellGap), CellSize, CellSize};
}

int ScoreboardStrip::legendHeight() const
{
    return fontMetrics().height() + 2;
}

int ScoreboardStrip::heightForWidth(int width) const
{
    const int cells = int(qMax<qsizetype>(1, m_cells.size()));
    const int rows = (cells + columnsFor(width) - 1) / columnsFor(width);
    return rows * (CellSize + CellGap) - CellGap + LegendGap + legendHeight();
}

QSize ScoreboardStrip::sizeHint() const
{
    return {600, heightForWidth(600)};
}

QSize ScoreboardStrip::minimumSizeHint() const
{
    return {CellSize * 8, CellSize + LegendGap + legendHeight()};
}

int ScoreboardStrip::cellAt(const QPoint &point) const
{
    const int columns = columnsFor(width());
    for (int i = 0; i < m_cells.size(); ++i) {
        if (cellRect(i, columns).contains(point))
            return i;
    }
    return -1;
}

void ScoreboardStrip::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    const int columns = columnsFor(width());
    QFont letterFont = font();
    letterFont.setBold(true);
    for (int i = 0; i < m_cells.size(); ++i) {
        const QRectF r = QRectF(cellRect(i, columns)).adjusted(0.5, 0.5, -0.5, -0.5);
        const QColor fill = workerStateColor(m_cells.at(i).state);
        painter.setPen(fill.darker(125));
        painter.setBrush(fill);
        painter.drawRoundedRect(r, 3, 3);
        painter.setFont(letterFont);
        painter.setPen(fill.lightnessF() > 0.6 ? QColor(0x42, 0x42, 0x42) : QColor(Qt::white));
        painter.drawText(r, Qt::AlignCenter, QString(reportedStateLetter(m_cells.at(i).state)));
    }
    const int rows = (int(qMax<qsizetype>(1, m_cells.size())) + columns - 1) / columns;
    painter.setFont(font());
    paintLegend(painter, rows * (CellSize + CellGap) - CellGap + LegendGap);
}

void ScoreboardStrip::paintLegend(QPainter &painter, int top) const
{
    const QFontMetrics metrics = fontMetrics();
    const int swatch = metrics.height() - 4;
    int x = 0;
    for (const WorkerState state : LegendOrder) {
        const QString label = QStringLiteral("%1 %2").arg(reportedStateLetter(state), reportedStateName(state));
        painter.setPen(workerStateColor(state).darker(125));
        painter.setBrush(workerStateColor(state));
        painter.drawRoundedRect(QRectF(x, top + 2, swatch, swatch), 2, 2);
        painter.setPen(palette().text().color());
        painter.drawText(x + swatch + 4, top + metrics.ascent(), label);
        x += swatch + 4 + metrics.horizontalAdvance(label) + 14;
    }
}

bool ScoreboardStrip::event(QEvent *event)
{
    if (event->type() == QEvent::ToolTip) {
        auto *help = static_cast<QHelpEvent *>(event);
        const int cell = cellAt(help->pos());
        if (cell >= 0)
            QToolTip::showText(help->globalPos(), m_cells.at(cell).toolTip, this);
        else
            QToolTip::showText(help->globalPos(), tr("Scoreboard: one cell per worker slot, coloured by state. "
                                                     "Click a cell to select its worker."), this);
        return true;
    }
    return QWidget::event(event);
}

void ScoreboardStrip::mousePressEvent(QMouseEvent *event)
{
    const int cell = cellAt(event->position().toPoint());
    if (cell >= 0 && m_cells.at(cell).state != WorkerState::Empty)
        Q_EMIT slotClicked(m_cells.at(cell).slot);
    QWidget::mousePressEvent(event);
}

} // namespace ferry::admingui
