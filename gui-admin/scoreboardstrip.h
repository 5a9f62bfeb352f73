// One cell per scoreboard slot, coloured by the worker's state, with its mod_status letter — the whole
// pool at a glance — and a legend underneath. Cells show a tooltip and can be clicked to pick the worker.
#pragma once

#include "workerstate.h"

#include <QList>
#include <QString>
#include <QWidget>

namespace ferry::admin {
struct StatusSnapshot;
}

namespace ferry::admingui {

struct ScoreboardCell {
    int slot = 0;
    ReportedState state = WorkerState::Empty;
    QString toolTip;
};

class ScoreboardStrip : public QWidget
{
    Q_OBJECT
public:
    explicit ScoreboardStrip(QWidget *parent = nullptr);

    // The cells for a status: every slot up to the larger of max_workers and the highest occupied slot.
    static QList<ScoreboardCell> cellsFromStatus(const admin::StatusSnapshot &status);

    void setCells(const QList<ScoreboardCell> &cells);
    const QList<ScoreboardCell> &cells() const { return m_cells; }
    // The letters in slot order, as `ferry-ctl status` prints them ("W_K_..").
    QString letters() const;
    // The cell under a point in widget coordinates, or -1.
    int cellAt(const QPoint &point) const;

    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int width) const override;
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

Q_SIGNALS:
    void slotClicked(int slot);

protected:
    bool event(QEvent *event) override;
    void paintEvent(QPaintEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;

private:
    int columnsFor(int width) const;
    QRect cellRect(int index, int columns) const;
    int legendHeight() const;
    void paintLegend(QPainter &painter, int top) const;

    QList<ScoreboardCell> m_cells;
};

} // namespace ferry::admingui
