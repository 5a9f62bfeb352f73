#include "remotesortmodel.h"

#include "remotemodel.h"

#include <QRegularExpression>

namespace ferry::gui {

RemoteSortModel::RemoteSortModel(QObject *parent)
    : QSortFilterProxyModel(parent)
{
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

void RemoteSortModel::sort(int column, Qt::SortOrder order)
{
    if (QAbstractItemModel *source = sourceModel())
        source->sort(column, order);
}

} // namespace ferry::gui
