// Paints the workers table's two graphic columns: the state as a coloured badge with its mod_status
// letter, and the transfer's progress as a real progress bar.
#pragma once

#include <QStyledItemDelegate>

namespace ferry::admingui {

class WorkerDelegate : public QStyledItemDelegate
{
    Q_OBJECT
public:
    explicit WorkerDelegate(QObject *parent = nullptr);

    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;

private:
    void paintState(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const;
    void paintProgress(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const;
    // The cell's background (selection, flash) without text, as the style would draw it.
    void paintBackground(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const;
};

} // namespace ferry::admingui
