// The status cell of a verified download: "Verified", its SHA-256, and a button to copy it.
#pragma once

#include <QObject>

class QModelIndex;
class QTreeView;

namespace ferry::gui {

class TransferModel;

// Watches the transfer list and gives each row whose download was verified (the model's
// Sha256Role is set) a small widget in its status cell: the model's status text and a
// Copy button that puts the whole SHA-256 on the clipboard, so it can be compared with a
// digest published elsewhere. The view owns the widgets (setIndexWidget): they follow
// their rows when rows move and go when rows are removed.
class VerifiedCells : public QObject
{
    Q_OBJECT
public:
    VerifiedCells(QTreeView *view, TransferModel *model);

private:
    void update(int firstRow, int lastRow);
    void decorate(const QModelIndex &status);
    void colour(const QModelIndex &status); // the row's selection colours, or the list's own

    QTreeView *m_view;
    TransferModel *m_model;
};

} // namespace ferry::gui
