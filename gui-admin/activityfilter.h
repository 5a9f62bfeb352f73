// Filtering and sorting for the Activity view: each filter field keeps the rows whose value contains its
// text (case-insensitive); all of them together. The token field matches a token's id or its label.
#pragma once

#include <QSortFilterProxyModel>
#include <QString>

namespace ferry::admingui {

class ActivityFilter : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    enum class Field { Path, Token, Peer, Result };

    explicit ActivityFilter(QObject *parent = nullptr);

    QString text(Field field) const { return m_texts[int(field)]; }
    void setText(Field field, const QString &text);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    QString m_texts[4];
};

} // namespace ferry::admingui
