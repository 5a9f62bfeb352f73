#include "activityfilter.h"

#include "activitymodel.h"

namespace ferry::admingui {

ActivityFilter::ActivityFilter(QObject *parent) : QSortFilterProxyModel(parent)
{
    setSortRole(ActivityModel::SortRole);
    setDynamicSortFilter(true); // new rows land in their sorted place
}

void ActivityFilter::setText(Field field, const QString &text)
{
    QString trimmed = text.trimmed();
    if (field == Field::Path) // the view shows "/a/b" for the record's "a/b"
        while (trimmed.startsWith(QLatin1Char('/')))
            trimmed.remove(0, 1);
    if (m_texts[int(field)] == trimmed)
        return;
    m_texts[int(field)] = trimmed;
    invalidateFilter();
}

bool ActivityFilter::filterAcceptsRow(int sourceRow, const QModelIndex &) const
{
    const auto *model = qobject_cast<const ActivityModel *>(sourceModel());
    if (!model)
        return true;
    const ActivityRecord &r = model->record(sourceRow);
    const auto has = [](const QString &value, const QString &wanted) {
        return wanted.isEmpty() || value.contains(wanted, Qt::CaseInsensitive);
    };
    return has(r.path, m_texts[int(Field::Path)])
           && (has(r.tokenId, m_texts[int(Field::Token)]) || has(r.tokenLabel, m_texts[int(Field::Token)]))
           && has(r.peer, m_texts[int(Field::Peer)]) && has(r.result, m_texts[int(Field::Result)]);
}

} // namespace ferry::admingui
