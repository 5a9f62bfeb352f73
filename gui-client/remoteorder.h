// The order of a remote listing: folders first, names by the user's collation.
#pragma once

#include "client/clienttypes.h"

#include <QCollator>

namespace ferry::gui {

// Sorting happens in the client, over the folder's complete listing: collation
// depends on the user's locale, which the server cannot know. Names compare by
// QCollator in numeric mode ("file2" before "file10", "Ça" beside "ca"), case
// folded; sizes and dates by value with the name as the tie-break; folders stay
// above files in either direction, as file managers do.
class RemoteOrder
{
public:
    enum class Key { Name, Size, Modified };

    // The default locale's collation; under the C locale (no language chosen) a
    // neutral one, as C's byte order puts "Ç" after "z".
    RemoteOrder();

    void setKey(Key key, Qt::SortOrder order);
    Key key() const { return m_key; }
    Qt::SortOrder order() const { return m_order; }

    // What lessThan() compares a name by; computed once per entry, as collating two
    // strings afresh for each of n log n comparisons would cost seconds per 100,000.
    QCollatorSortKey sortKey(const QString &name) const { return m_collator.sortKey(name); }
    // Whether `a` goes above `b`; `aKey`, `bKey` are their names' sortKey().
    bool lessThan(const client::RemoteEntry &a, const QCollatorSortKey &aKey, const client::RemoteEntry &b,
                  const QCollatorSortKey &bKey) const;
    // <0, 0, >0 as strcmp, by collation alone (no folder rule).
    int compareNames(const QString &a, const QString &b) const;

private:
    bool nameLess(const client::RemoteEntry &a, const QCollatorSortKey &aKey, const client::RemoteEntry &b,
                  const QCollatorSortKey &bKey) const;

    QCollator m_collator;
    Key m_key = Key::Name;
    Qt::SortOrder m_order = Qt::AscendingOrder;
};

} // namespace ferry::gui
