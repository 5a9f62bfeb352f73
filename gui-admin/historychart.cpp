#include "historychart.h"

#include "format.h"
#include "historymodel.h"

#include <QPainter>
#include <QPainterPath>

#include <cmath>

namespace ferry::admingui {

namespace {

constexpr int GridLines = 4;
constexpr int LabelEveryMinutes = 5; // grid line every minute, a label every five: fits narrow charts

// A round number at or above `value` whose quarters are round too, so the grid labels read well:
// busy workers in multiples of the grid lines, bytes as 1, 2, 4, 8 × 10^n of a binary unit.
qint64 niceCeiling(qint64 value, bool bytes)
{
    if (!bytes)
        return qMax<qint64>(GridLines, (value + GridLines - 1) / GridLines * GridLines);
    if (value <= 0)
        return 1024;
    qint64 unit = 1;
    while (value / unit >= 1024)
        unit *= 1024;
    for (const qint64 step : {1, 2, 4, 8, 10, 20, 40, 80, 100, 200, 400, 800}) {
        if (step * unit >= value)
            return step * unit;
    }
    return 1024 * unit;
}

} // namespace

HistoryChart::HistoryChart(HistoryModel *model, Series series, QWidget *parent)
    : QWidget(parent), m_model(model), m_series(series)
{
    setAttribute(Qt::WA_OpaquePaintEvent);
    connect(m_model, &HistoryModel::changed, this, qOverload<>(&QWidget::update));
}

QSize HistoryChart::sizeHint() const
{
    return {420, 130};
}

QSize HistoryChart::minimumSizeHint() const
{
    return {200, 100};
}

qint64 HistoryChart::value(const HistorySample &sample) const
{
    return m_series == Series::Throughput ? sample.throughput : sample.busy;
}

QString HistoryChart::valueLabel(qint64 value) const
{
    return m_series == Series::Throughput ? formatRate(value) : QString::number(value);
}

qint64 HistoryChart::axisMaximum() const
{
    qint64 largest = 0;
    for (const HistorySample &sample : m_model->samples())
        largest = qMax(largest, value(sample));
    return niceCeiling(largest, m_series == Series::Throughput);
}

void HistoryChart::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.fillRect(rect(), palette().base());
    painter.setRenderHint(QPainter::Antialiasing);
    const QFontMetrics metrics = fontMetrics();
    const QString title = m_series == Series::Throughput ? tr("Throughput") : tr("Busy workers");
    const qint64 top = axisMaximum();
    const int labelWidth = metrics.horizontalAdvance(valueLabel(top)) + 8;
    const QRect plot = rect().adjusted(labelWidth, metrics.height() * 3 / 2 + 6, -8, -(metrics.height() + 4));
    painter.setPen(palette().text().color());
    QFont bold = font();
    bold.setBold(true);
    painter.setFont(bold);
    painter.drawText(QRect(4, 2, width() - 8, metrics.height() + 2), Qt::AlignLeft, title);
    painter.setFont(font());
    painter.drawText(QRect(0, 2, width() - 8, metrics.height() + 2), Qt::AlignRight, cornerText());
    paintGrid(painter, plot, top);
    paintSeries(painter, plot, top);
}

QString HistoryChart::cornerText() const
{
    if (!m_model->isLive())
        return m_model->samples().isEmpty() ? QString() : tr("not connected");
    if (m_model->samples().isEmpty())
        return {};
    return tr("now %1").arg(valueLabel(value(m_model->samples().constLast())));
}

void HistoryChart::paintGrid(QPainter &painter, const QRect &plot, qint64 top) const
{
    const QColor gridColor = palette().mid().color();
    const QColor labelColor = palette().placeholderText().color();
    const QFontMetrics metrics = fontMetrics();
    for (int i = 0; i <= GridLines; ++i) {
        const int y = plot.bottom() - plot.height() * i / GridLines;
        painter.setPen(QPen(gridColor, 1, i == 0 ? Qt::SolidLine : Qt::DotLine));
        painter.drawLine(plot.left(), y, plot.right(), y);
        painter.setPen(labelColor);
        painter.drawText(QRect(0, y - metrics.height() / 2, plot.left() - 4, metrics.height()),
                         Qt::AlignRight | Qt::AlignVCenter, valueLabel(top * i / GridLines));
    }
    constexpr int Minutes = int(HistoryModel::WindowMs / 60000);
    for (int minute = 0; minute <= Minutes; ++minute) {
        const int x = plot.right() - plot.width() * minute / Minutes;
        painter.setPen(QPen(gridColor, 1, Qt::DotLine));
        painter.drawLine(x, plot.top(), x, plot.bottom());
        if (minute % LabelEveryMinutes != 0)
            continue;
        painter.setPen(labelColor);
        const QString label = minute == 0 ? tr("now") : tr("−%1 min").arg(minute);
        const int w = metrics.horizontalAdvance(label);
        painter.drawText(qBound(plot.left(), x - w / 2, plot.right() - w), plot.bottom() + metrics.ascent() + 3, label);
    }
}

void HistoryChart::paintSeries(QPainter &painter, const QRect &plot, qint64 top) const
{
    const QList<HistorySample> &samples = m_model->samples();
    if (samples.isEmpty())
        return;
    const qint64 right = m_model->latestMs();
    const auto pointOf = [&](const HistorySample &s) {
        const double x = plot.right() - double(right - s.tMs) * plot.width() / double(HistoryModel::WindowMs);
        const double y = plot.bottom() - double(value(s)) * plot.height() / double(top);
        return QPointF(qMax(double(plot.left()), x), y);
    };
    QPainterPath line(pointOf(samples.constFirst()));
    for (const HistorySample &sample : samples)
        line.lineTo(pointOf(sample));
    QPainterPath area = line;
    area.lineTo(pointOf(samples.constLast()).x(), plot.bottom());
    area.lineTo(pointOf(samples.constFirst()).x(), plot.bottom());
    area.closeSubpath();
    const QColor color = m_series == Series::Throughput ? QColor(0x1e, 0x88, 0xe5) : QColor(0x2e, 0x9d, 0x4f);
    QColor fill = color;
    fill.setAlpha(60);
    painter.fillPath(area, fill);
    painter.setPen(QPen(color, 1.6));
    painter.drawPath(line);
}

} // namespace ferry::admingui
