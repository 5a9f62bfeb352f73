// Draws the transfer list's progress column as a real progress bar.
#pragma once

#include <QStyledItemDelegate>

namespace ferry::gui {

// Reads TransferModel::ProgressRole (per mille, -1 unknown) and paints the style's
// own progress bar with the percentage as its text, so it looks native everywhere.
class ProgressDelegate : public QStyledItemDelegate
{
    Q_OBJECT
public:
    explicit ProgressDelegate(QObject *parent = nullptr);

    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;
};

} // namespace ferry::gui
