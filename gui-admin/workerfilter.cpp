#include "workerfilter.h"

#include "workermodel.h"
#include "workerstate.h"

namespace ferry::admingui {

WorkerFilter::WorkerFilter(QObject *parent) : QSortFilterProxyModel(parent)
{
    setSortRole(WorkerModel::SortRole);
    setFilterKeyColumn(-1);
    setFilterCaseSensitivity(Qt::CaseInsensitive);
    // Rows change every second; re-sorting keeps "fastest first" true without a click.
    setDynamicSortFilter(true);
}

void WorkerFilter::setBusyOnly(bool busyOnly)
{
    if (busyOnly == m_busyOnly)
        return;
    m_busyOnly = busyOnly;
    invalidateFilter();
}

bool WorkerFilter::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    if (m_busyOnly) {
        const QModelIndex state = sourceModel()->index(sourceRow, WorkerModel::StateColumn, sourceParent);
        if (!isBusyState(stateFromRoleValue(state.data(WorkerModel::StateRole).toInt())))
            return false;
    }
    return QSortFilterProxyModel::filterAcceptsRow(sourceRow, sourceParent);
}

} // namespace ferry::admingui
