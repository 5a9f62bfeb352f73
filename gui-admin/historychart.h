// A small time chart of one HistoryModel series over the last ten minutes, drawn with QPainter:
// a filled line, a few horizontal grid lines with values, and minute marks counting back from now.
#pragma once

#include <QWidget>

namespace ferry::admingui {

class HistoryModel;
struct HistorySample;

class HistoryChart : public QWidget
{
    Q_OBJECT
public:
    enum class Series { Throughput, BusyWorkers };

    HistoryChart(HistoryModel *model, Series series, QWidget *parent = nullptr);

    Series series() const { return m_series; }
    // The top of the value axis now: a "nice" number at or above the largest value shown.
    qint64 axisMaximum() const;
    // The top-right label: "now 4.00 MiB/s" while samples arrive, "not connected" once they stop.
    QString cornerText() const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    qint64 value(const HistorySample &sample) const;
    QString valueLabel(qint64 value) const;
    void paintGrid(QPainter &painter, const QRect &plot, qint64 top) const;
    void paintSeries(QPainter &painter, const QRect &plot, qint64 top) const;

    HistoryModel *m_model;
    Series m_series;
};

} // namespace ferry::admingui
