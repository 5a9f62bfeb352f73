#include "tokenmodel.h"

#include "format.h"
#include "desktop/plaintooltip.h"

#include <QBrush>
#include <QDateTime>
#include <QJsonObject>
#include <QLocale>
#include <QPalette>

#include <limits>

namespace ferry::admingui {

namespace {

QString when(qint64 ms)
{
    return QLocale().toString(QDateTime::fromMSecsSinceEpoch(ms), QLocale::ShortFormat);
}

} // namespace

TokenModel::TokenModel(QObject *parent) : QAbstractTableModel(parent) {}

TokenModel::Row TokenModel::rowOf(const QJsonObject &token)
{
    const QJsonObject usage = token.value("usage").toObject();
    Row row;
    row.id = token.value("id").toString();
    row.label = token.value("label").toString();
    row.path = token.value("path").toString();
    row.state = token.value("state").toString();
    row.expiresMs = qint64(token.value("expires_ms").toDouble());
    row.connections = token.value("connections").toInteger();
    row.bytes = qint64(usage.value("bytes").toDouble());
    row.requests = qint64(usage.value("requests").toDouble());
    row.lastUsedMs = qint64(usage.value("last_used_ms").toDouble());
    row.lastPeer = usage.value("last_peer").toString();
    return row;
}

void TokenModel::setTokens(const QJsonArray &tokens)
{
    QList<Row> fresh;
    for (const QJsonValue &value : tokens)
        fresh << rowOf(value.toObject());
    bool sameIds = fresh.size() == m_rows.size();
    for (int i = 0; sameIds && i < fresh.size(); ++i)
        sameIds = fresh[i].id == m_rows[i].id;
    if (!sameIds) { // a token was made: the list grows (revoked ones stay listed)
        beginResetModel();
        m_rows = fresh;
        endResetModel();
        return;
    }
    m_rows = fresh; // usage moved on: repaint in place, so selection and scrolling stay
    if (!m_rows.isEmpty())
        emit dataChanged(index(0, 0), index(int(m_rows.size()) - 1, ColumnCount - 1));
}

int TokenModel::rowCount(const QModelIndex &parent) const { return parent.isValid() ? 0 : int(m_rows.size()); }

int TokenModel::columnCount(const QModelIndex &parent) const { return parent.isValid() ? 0 : ColumnCount; }

QString TokenModel::text(const Row &row, int column) const
{
    switch (column) {
    case IdColumn: return row.id;
    case LabelColumn: return row.label;
    case ScopeColumn: return u'/' + row.path;
    case StateColumn: return row.state;
    case ExpiresColumn: return row.expiresMs == 0 ? tr("never") : when(row.expiresMs);
    case BytesColumn: return formatBytes(row.bytes);
    case RequestsColumn: return QLocale().toString(row.requests);
    case LastUsedColumn: return row.lastUsedMs == 0 ? tr("never") : when(row.lastUsedMs);
    case LastClientColumn: return row.lastPeer;
    case ConnectionsColumn: return QString::number(row.connections);
    }
    return {};
}

QVariant TokenModel::sortValue(const Row &row, int column) const
{
    switch (column) {
    case ExpiresColumn: return row.expiresMs == 0 ? std::numeric_limits<qint64>::max() : row.expiresMs; // never: last
    case BytesColumn: return row.bytes;
    case RequestsColumn: return row.requests;
    case LastUsedColumn: return row.lastUsedMs;
    case ConnectionsColumn: return row.connections;
    default: return text(row, column);
    }
}

QVariant TokenModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &row = m_rows[index.row()];
    switch (role) {
    case Qt::DisplayRole: return text(row, index.column()); // a view draws it as text
    case Qt::ToolTipRole: return desktop::plainToolTip(text(row, index.column())); // Qt may draw it as HTML
    case SortRole: return sortValue(row, index.column());
    case Qt::ForegroundRole:
        if (row.state != QLatin1String("active"))
            return QBrush(QPalette().color(QPalette::Disabled, QPalette::Text)); // no longer opens anything
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() == BytesColumn || index.column() == RequestsColumn || index.column() == ConnectionsColumn)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case IdRole: return row.id;
    case StateRole: return row.state;
    }
    return {};
}

QVariant TokenModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case IdColumn: return tr("ID");
    case LabelColumn: return tr("Label");
    case ScopeColumn: return tr("Grants");
    case StateColumn: return tr("State");
    case ExpiresColumn: return tr("Expires");
    case BytesColumn: return tr("Sent");
    case RequestsColumn: return tr("Requests");
    case LastUsedColumn: return tr("Last used");
    case LastClientColumn: return tr("From");
    case ConnectionsColumn: return tr("Now");
    }
    return {};
}

} // namespace ferry::admingui
