#include "remotesortmodel.h"

#include "remotemodel.h"

#include <QRegularExpression>

namespace ferry::gui {

namespace {

// The run of digits (or of non-digits) starting at `from`.
QStringView runAt(const QString &text, qsizetype from)
{
    const bool digits = text.at(from).isDigit();
    qsizetype end = from;
    while (end < text.size() && text.at(end).isDigit() == digits)
        ++end;
    return QStringView(text).mid(from, end - from);
}

int compareNumbers(QStringView a, QStringView b)
{
    while (a.size() > 1 && a.front() == u'0')
        a = a.mid(1);
    while (b.size() > 1 && b.front() == u'0')
        b = b.mid(1);
    if (a.size() != b.size())
        return a.size() < b.size() ? -1 : 1;
    return a.compare(b);
}

} // namespace

// "file2" before "file10", case-insensitive, the same in every locale (QCollator's
// numeric mode depends on ICU and is absent under the C locale).
int RemoteSortModel::naturalCompare(const QString &a, const QString &b)
{
    qsizetype i = 0;
    qsizetype j = 0;
    while (i < a.size() && j < b.size()) {
        const QStringView x = runAt(a, i);
        const QStringView y = runAt(b, j);
        const bool numbers = x.front().isDigit() && y.front().isDigit();
        const int order = numbers ? compareNumbers(x, y) : x.compare(y, Qt::CaseInsensitive);
        if (order != 0)
            return order;
        i += x.size();
        j += y.size();
    }
    if (i < a.size() || j < b.size())
        return i < a.size() ? 1 : -1;
    return a.compare(b); // equal but for case or zeros: still a stable order
}

RemoteSortModel::RemoteSortModel(QObject *parent)
    : QSortFilterProxyModel(parent)
{
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
        return naturalCompare(an, bn) < 0;
    }
    return a.toLongLong() < b.toLongLong();
}

} // namespace ferry::gui
