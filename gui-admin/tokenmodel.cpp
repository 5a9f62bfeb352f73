#include "tokenmodel.h"

#include "format.h"

#include <QBrush>
#include <QDateTime>
#include <QLocale>
#include <QPalette>

namespace ferry::admingui {

namespace {

QString when(qint64 ms)
{
    return QLocale().toString(QDateTime::fromMSecsSinceEpoch(ms), QLocale::ShortFormat);
}

} // namespace

TokenModel::TokenModel(QObject *parent) : QAbstractTableModel(parent) {}

void TokenModel::setTokens(const QJsonArray &tokens)
{
    QList<QJsonObject> fresh;
    for (const QJsonValue &value : tokens)
        fresh << value.toObject();
    bool sameIds = fresh.size() == m_tokens.size();
    for (int i = 0; sameIds && i < fresh.size(); ++i)
        sameIds = fresh[i].value("id") == m_tokens[i].value("id");
    if (!sameIds) { // a token was made: the list grows (revoked ones stay listed)
        beginResetModel();
        m_tokens = fresh;
        endResetModel();
        return;
    }
    m_tokens = fresh; // usage moved on: repaint in place, so selection and scrolling stay
    if (!m_tokens.isEmpty())
        emit dataChanged(index(0, 0), index(int(m_tokens.size()) - 1, ColumnCount - 1));
}

int TokenModel::rowCount(const QModelIndex &parent) const { return parent.isValid() ? 0 : int(m_tokens.size()); }

int TokenModel::columnCount(const QModelIndex &parent) const { return parent.isValid() ? 0 : ColumnCount; }

QString TokenModel::text(const QJsonObject &token, int column) const
{
    const QJsonObject usage = token.value("usage").toObject();
    switch (column) {
    case LabelColumn: return token.value("label").toString();
    case ScopeColumn: return u'/' + token.value("path").toString();
    case StateColumn: return token.value("state").toString();
    case ExpiresColumn: {
        const qint64 expires = qint64(token.value("expires_ms").toDouble());
        return expires == 0 ? tr("never") : when(expires);
    }
    case BytesColumn: return formatBytes(qint64(usage.value("bytes").toDouble()));
    case RequestsColumn: return QLocale().toString(qint64(usage.value("requests").toDouble()));
    case LastUsedColumn: {
        const qint64 last = qint64(usage.value("last_used_ms").toDouble());
        return last == 0 ? tr("never") : when(last);
    }
    case LastClientColumn: return usage.value("last_peer").toString();
    case ConnectionsColumn: return QString::number(token.value("connections").toInt());
    }
    return {};
}

QVariant TokenModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_tokens.size())
        return {};
    const QJsonObject &token = m_tokens[index.row()];
    switch (role) {
    case Qt::DisplayRole: return text(token, index.column());
    case Qt::ToolTipRole:
        return index.column() == LabelColumn ? token.value("id").toString() : text(token, index.column());
    case Qt::ForegroundRole:
        if (token.value("state").toString() != QLatin1String("active"))
            return QBrush(QPalette().color(QPalette::Disabled, QPalette::Text)); // no longer opens anything
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() == BytesColumn || index.column() == RequestsColumn || index.column() == ConnectionsColumn)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case IdRole: return token.value("id").toString();
    case StateRole: return token.value("state").toString();
    }
    return {};
}

QVariant TokenModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
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
