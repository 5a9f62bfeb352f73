// The server's access tokens (token_list, docs/ADMIN.md §5.8) as a table: who a token is for, what it
// grants, until when, and how much it has been used. Never holds a secret: the server never lists one.
#pragma once

#include <QAbstractTableModel>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>

namespace ferry::admingui {

class TokenModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { LabelColumn, ScopeColumn, StateColumn, ExpiresColumn, BytesColumn, RequestsColumn,
                  LastUsedColumn, LastClientColumn, ConnectionsColumn, ColumnCount };
    static constexpr int IdRole = Qt::UserRole + 1;    // the token's public id
    static constexpr int StateRole = Qt::UserRole + 2; // "active", "expired", "revoked"

    explicit TokenModel(QObject *parent = nullptr);

    // Replaces the rows with a token_list reply's `tokens`, keeping rows in place where ids match.
    void setTokens(const QJsonArray &tokens);
    QJsonObject token(int row) const { return m_tokens.value(row); }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    QString text(const QJsonObject &token, int column) const;

    QList<QJsonObject> m_tokens;
};

} // namespace ferry::admingui
