#include "workerdelegate.h"

#include "workermodel.h"
#include "workerstate.h"

#include <QApplication>
#include <QPainter>
#include <QStyle>
#include <QStyleOptionProgressBar>

namespace ferry::admingui {

namespace {

constexpr int ProgressSteps = 1000;

QColor textColorOn(const QColor &fill)
{
    return fill.lightnessF() > 0.6 ? QColor(0x21, 0x21, 0x21) : QColor(Qt::white);
}

} // namespace

WorkerDelegate::WorkerDelegate(QObject *parent) : QStyledItemDelegate(parent) {}

void WorkerDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    switch (index.column()) {
    case WorkerModel::StateColumn: paintState(painter, option, index); break;
    case WorkerModel::ProgressColumn: paintProgress(painter, option, index); break;
    default: QStyledItemDelegate::paint(painter, option, index); break;
    }
}

QSize WorkerDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    QSize size = QStyledItemDelegate::sizeHint(option, index);
    if (index.column() == WorkerModel::ProgressColumn)
        size.setWidth(qMax(size.width(), option.fontMetrics.horizontalAdvance(QStringLiteral("100 %")) * 3));
    if (index.column() == WorkerModel::StateColumn)
        size.setWidth(size.width() + option.fontMetrics.height() * 2);
    return size;
}

void WorkerDelegate::paintBackground(QPainter *painter, const QStyleOptionViewItem &option,
                                     const QModelIndex &index) const
{
    QStyleOptionViewItem background = option;
    initStyleOption(&background, index);
    background.text.clear();
    background.icon = QIcon();
    const QWidget *widget = option.widget;
    QStyle *style = widget ? widget->style() : QApplication::style();
    style->drawControl(QStyle::CE_ItemViewItem, &background, painter, widget);
}

void WorkerDelegate::paintState(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    paintBackground(painter, option, index);
    const ReportedState state = stateFromRoleValue(index.data(WorkerModel::StateRole).toInt());
    const QColor fill = workerStateColor(state);
    const QRect badge = option.rect.adjusted(3, 3, -3, -3);
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);
    painter->setPen(fill.darker(130));
    painter->setBrush(fill);
    painter->drawRoundedRect(badge, 4, 4);
    painter->setPen(textColorOn(fill));
    const QString label = QStringLiteral("%1  %2").arg(reportedStateLetter(state), index.data().toString());
    painter->drawText(badge.adjusted(6, 0, -4, 0), Qt::AlignLeft | Qt::AlignVCenter,
                      option.fontMetrics.elidedText(label, Qt::ElideRight, badge.width() - 10));
    painter->restore();
}

void WorkerDelegate::paintProgress(QPainter *painter, const QStyleOptionViewItem &option,
                                   const QModelIndex &index) const
{
    paintBackground(painter, option, index);
    const double progress = index.data(WorkerModel::ProgressRole).toDouble();
    if (progress < 0)
        return; // no transfer, or no known size: an empty cell says more than a bar stuck at 0
    QStyleOptionProgressBar bar;
    bar.rect = option.rect.adjusted(3, 3, -3, -3);
    bar.palette = option.palette;
    bar.fontMetrics = option.fontMetrics;
    bar.direction = option.direction;
    bar.minimum = 0;
    bar.maximum = ProgressSteps;
    bar.progress = int(progress * ProgressSteps);
    bar.text = QStringLiteral("%1 %").arg(progress * 100.0, 0, 'f', progress < 0.1 ? 1 : 0);
    bar.textVisible = true;
    bar.textAlignment = Qt::AlignCenter;
    bar.state = option.state | QStyle::State_Enabled;
    bar.state |= QStyle::State_Horizontal; // Qt 6 has no orientation member; without this it paints vertically
    const QWidget *widget = option.widget;
    QStyle *style = widget ? widget->style() : QApplication::style();
    style->drawControl(QStyle::CE_ProgressBar, &bar, painter, widget);
}

} // namespace ferry::admingui
