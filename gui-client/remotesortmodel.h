// Filtering of a remote listing; its sorting is the source model's.
#pragma once

#include <QSortFilterProxyModel>

namespace ferry::gui {

// The filter matches names case-insensitively ("*.iso" wildcards or plain text).
// sort() is handed to the RemoteModel below, which orders the whole folder, not
// just the rows exposed so far (a proxy sees only those); the proxy keeps its
// source's order.
class RemoteSortModel : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    explicit RemoteSortModel(QObject *parent = nullptr);

    void setNameFilter(const QString &text);
    QString nameFilter() const { return m_filter; }
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;

private:
    QString m_filter;
};

} // namespace ferry::gui
