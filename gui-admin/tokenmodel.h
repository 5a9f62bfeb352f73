// The server's access tokens (token_list, docs/ADMIN.md §5.8) as a table: which token (its public id, the
// one the audit log and ferry-ctl name), who it is for, what it grants, until when, and how much it has
// been used. Never holds a secret: each row keeps only the fields it shows, read from the reply by name,
// so a secret could not reach the table even if a reply carried one (the server never lists one).
#pragma once

#include <QAbstractTableModel>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QString>

namespace ferry::admingui {

class TokenModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { IdColumn, LabelColumn, ScopeColumn, StateColumn, ExpiresColumn, BytesColumn, RequestsColumn,
                  LastUsedColumn, LastClientColumn, ConnectionsColumn, ColumnCount };
    static constexpr int IdRole = Qt::UserRole + 1;    // the token's public id
    static constexpr int StateRole = Qt::UserRole + 2; // "active", "expired", "revoked"
    static constexpr int SortRole = Qt::UserRole + 3;  // what a column sorts by: numbers as numbers

    explicit TokenModel(QObject *parent = nullptr);

    // Replaces the rows with a token_list reply's `tokens`, keeping rows in place where ids match.
    void setTokens(const QJsonArray &tokens);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    struct Row {
        QString id, label, path, state, lastPeer;
        qint64 expiresMs = 0, bytes = 0, requests = 0, lastUsedMs = 0, connections = 0;
    };
    static Row rowOf(const QJsonObject &token);
    QString text(const Row &row, int column) const;
    QVariant sortValue(const Row &row, int column) const;

    QList<Row> m_rows;
};

} // namespace ferry::admingui
