#include "remoteorder.h"

#include <QLocale>

namespace ferry::gui {

namespace {

QLocale collationLocale()
{
    const QLocale locale;
    // Qt's collator ignores numeric mode and case folding under C and compares code
    // points; ICU's English rules are its root order, neutral for every Latin script.
    return locale.language() == QLocale::C ? QLocale(QLocale::English, QLocale::UnitedStates) : locale;
}

} // namespace

RemoteOrder::RemoteOrder()
    : m_collator(collationLocale())
{
    m_collator.setNumericMode(true);
    m_collator.setCaseSensitivity(Qt::CaseInsensitive);
    m_collator.setIgnorePunctuation(false);
}

void RemoteOrder::setKey(Key key, Qt::SortOrder order)
{
    m_key = key;
    m_order = order;
}

int RemoteOrder::compareNames(const QString &a, const QString &b) const
{
    const int order = m_collator.compare(a, b);
    return order != 0 ? order : a.compare(b);
}

bool RemoteOrder::nameLess(const client::RemoteEntry &a, const QCollatorSortKey &aKey, const client::RemoteEntry &b,
                           const QCollatorSortKey &bKey) const
{
    // Names collation calls equal ("file2", "File02") still get a stable order.
    const int order = aKey.compare(bKey);
    return order != 0 ? order < 0 : a.name < b.name;
}

bool RemoteOrder::lessThan(const client::RemoteEntry &a, const QCollatorSortKey &aKey, const client::RemoteEntry &b,
                           const QCollatorSortKey &bKey) const
{
    if (a.isDirectory() != b.isDirectory())
        return a.isDirectory(); // folders first in both directions
    const bool descending = m_order == Qt::DescendingOrder;
    switch (m_key) {
    case Key::Name:
        return descending ? nameLess(b, bKey, a, aKey) : nameLess(a, aKey, b, bKey);
    case Key::Size:
        if (a.size != b.size)
            return descending ? a.size > b.size : a.size < b.size;
        break;
    case Key::Modified:
        if (a.mtimeNs != b.mtimeNs)
            return descending ? a.mtimeNs > b.mtimeNs : a.mtimeNs < b.mtimeNs;
        break;
    }
    return nameLess(a, aKey, b, bKey);
}

} // namespace ferry::gui
