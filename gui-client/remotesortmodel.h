// Sorting and filtering of a remote listing: folders first, natural name order.
#pragma once

#include <QSortFilterProxyModel>

namespace ferry::gui {

// Sorts on RemoteModel::SortRole so sizes and dates order by value, not by their
// formatted text; folders stay above files in either direction, as file managers do.
// The filter matches names case-insensitively ("*.iso" wildcards or plain text).
class RemoteSortModel : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    explicit RemoteSortModel(QObject *parent = nullptr);

    void setNameFilter(const QString &text);
    QString nameFilter() const { return m_filter; }
    // <0, 0, >0 as strcmp; digit runs compare by value.
    static int naturalCompare(const QString &a, const QString &b);

protected:
    bool lessThan(const QModelIndex &left, const QModelIndex &right) const override;

private:
    QString m_filter;
};

} // namespace ferry::gui
