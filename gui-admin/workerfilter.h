// Sorting and filtering for the workers table: sorts by the raw values behind the text, matches the filter
// text against every column, and can hide the workers that are not busy.
#pragma once

#include <QSortFilterProxyModel>

namespace ferry::admingui {

class WorkerFilter : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    explicit WorkerFilter(QObject *parent = nullptr);

    bool isBusyOnly() const { return m_busyOnly; }
    void setBusyOnly(bool busyOnly);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    bool m_busyOnly = false;
};

} // namespace ferry::admingui
