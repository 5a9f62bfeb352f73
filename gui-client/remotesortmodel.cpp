#include "remotesortmodel.h"

#include "remotemodel.h"

#include <QRegularExpression>

namespace ferry::gui {

RemoteSortModel::RemoteSortModel(QObject *parent)
    : QSortFilterProxyModel(parent)
{
    m_collator.setNumericMode(true);
    m_collator.setCaseSensitivity(Qt::CaseInsensitive);
    setSortRole(RemoteModel::SortRole);
    setFilterKeyColumn(RemoteModel::NameColumn);
    setFilterCaseSensitivity(Qt::CaseInsensitive);
}

void RemoteSortModel::setNameFilter(const QString &text)
{
    m_filter = text.trimmed();
    if (m_filter.contains(u'*') || m_filter.contains(u'?')) {
        setFilterRegularExpression(QRegularExpression(
            QRegularExpression::wildcardToRegularExpression(m_filter, QRegularExpression::UnanchoredWildcardConversion),
            QRegularExpression::CaseInsensitiveOption));
    } else {
        setFilterFixedString(m_filter);
    }
}

bool RemoteSortModel::lessThan(const QModelIndex &left, const QModelIndex &right) const
{
    const bool leftDir = left.data(RemoteModel::IsDirectoryRole).toBool();
    const bool rightDir = right.data(RemoteModel::IsDirectoryRole).toBool();
    if (leftDir != rightDir) // folders first whatever the order: flip with it
        return sortOrder() == Qt::AscendingOrder ? leftDir : rightDir;
    const QVariant a = left.data(RemoteModel::SortRole);
    const QVariant b = right.data(RemoteModel::SortRole);
    if (left.column() == RemoteModel::NameColumn || a == b) {
        const QString an = left.siblingAtColumn(RemoteModel::NameColumn).data().toString();
        const QString bn = right.siblingAtColumn(RemoteModel::NameColumn).data().toString();
        return m_collator.compare(an, bn) < 0;
    }
    return a.toLongLong() < b.toLongLong();
}

} // namespace ferry::gui
