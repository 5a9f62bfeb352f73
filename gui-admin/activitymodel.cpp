#include "activitymodel.h"

#include "format.h"
#include "desktop/plaintooltip.h"

#include <QBrush>
#include <QColor>
#include <QDateTime>
#include <QTimer>

namespace ferry::admingui {

namespace {

std::optional<qint64> countOrNone(const QJsonValue &value)
{
    return value.isDouble() ? std::optional<qint64>(value.toInteger()) : std::nullopt;
}

} // namespace

ActivityRecord ActivityRecord::fromJson(const QJsonObject &object)
{
    ActivityRecord record;
    const QDateTime time = QDateTime::fromString(object.value(QLatin1String("time")).toString(), Qt::ISODateWithMs);
    record.timeMs = time.isValid() ? time.toMSecsSinceEpoch() : 0;
    record.peer = object.value(QLatin1String("peer")).toString();
    record.tokenId = object.value(QLatin1String("token_id")).toString();
    record.tokenLabel = object.value(QLatin1String("token_label")).toString();
    record.request = object.value(QLatin1String("request")).toString();
    record.path = object.value(QLatin1String("path")).toString();
    record.offset = countOrNone(object.value(QLatin1String("offset")));
    record.length = countOrNone(object.value(QLatin1String("length")));
    record.bytes = object.value(QLatin1String("bytes")).toInteger();
    record.result = object.value(QLatin1String("result")).toString();
    record.durationMs = object.value(QLatin1String("duration_ms")).toInteger();
    record.tls = formatTlsVersion(object.value(QLatin1String("tls")).toString());
    return record;
}

ActivityModel::ActivityModel(QObject *parent) : QAbstractTableModel(parent), m_flushTimer(new QTimer(this))
{
    m_flushTimer->setSingleShot(true);
    m_flushTimer->setInterval(FlushMs);
    connect(m_flushTimer, &QTimer::timeout, this, &ActivityModel::flush);
}

int ActivityModel::rowCount(const QModelIndex &parent) const { return parent.isValid() ? 0 : int(m_rows.size()); }

int ActivityModel::columnCount(const QModelIndex &parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant ActivityModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case TimeColumn: return tr("Time");
    case PeerColumn: return tr("Client");
    case TokenColumn: return tr("Token");
    case RequestColumn: return tr("Request");
    case ResultColumn: return tr("Result");
    case BytesColumn: return tr("Bytes");
    case DurationColumn: return tr("Duration");
    case PathColumn: return tr("Path");
    case TlsColumn: return tr("TLS");
    }
    return {};
}

QVariant ActivityModel::display(const ActivityRecord &r, int column) const
{
    switch (column) {
    case TimeColumn: { // local time; the date only when it is not today's
        if (!r.timeMs)
            return QStringLiteral("?");
        const QDateTime time = QDateTime::fromMSecsSinceEpoch(r.timeMs);
        return time.toString(time.date() == QDate::currentDate() ? QStringLiteral("HH:mm:ss.zzz")
                                                                 : QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz"));
    }
    case PeerColumn: return r.peer;
    case TokenColumn:
        return !r.tokenLabel.isEmpty() ? r.tokenLabel : !r.tokenId.isEmpty() ? r.tokenId : tr("anonymous");
    case RequestColumn: return r.request;
    case ResultColumn: return r.result;
    case BytesColumn: return r.request == QLatin1String("GET") ? formatBytes(r.bytes) : QString();
    case DurationColumn: return tr("%1 ms").arg(r.durationMs);
    case PathColumn: {
        QString text = QLatin1Char('/') + r.path;
        if (r.offset) // the range, in the units of the Bytes column; the exact figures are in the tooltip
            text += QStringLiteral("  (%1)").arg(formatByteRange(*r.offset, r.length));
        return text;
    }
    case TlsColumn: return r.tls;
    }
    return {};
}

QVariant ActivityModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const ActivityRecord &r = m_rows.at(index.row());
    switch (role) {
    case Qt::DisplayRole: return display(r, index.column());
    case SortRole:
        switch (index.column()) {
        case TimeColumn: return r.timeMs;
        case BytesColumn: return r.bytes;
        case DurationColumn: return r.durationMs;
        default: return display(r, index.column());
        }
    case Qt::ForegroundRole: // refusals and errors stand out; the colour is the only decoration
        return index.column() == ResultColumn && !r.isOk() ? QVariant(QBrush(QColor(0xc6, 0x28, 0x28))) : QVariant();
    case Qt::TextAlignmentRole:
        return index.column() == BytesColumn || index.column() == DurationColumn
                   ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                   : QVariant();
    case Qt::ToolTipRole:
        if (index.column() == TimeColumn && r.timeMs)
            return QDateTime::fromMSecsSinceEpoch(r.timeMs).toString(Qt::ISODateWithMs);
        if (index.column() != PathColumn)
            return {};
        // The path is the client's choice: shown as text even where it looks like HTML.
        return desktop::plainToolTip(r.offset ? QLatin1Char('/') + r.path + QLatin1Char('\n')
                                                    + formatExactByteRange(*r.offset, r.length)
                                              : display(r, PathColumn).toString());
    default: return {};
    }
}

void ActivityModel::setRecent(const QJsonArray &records)
{
    m_flushTimer->stop();
    beginResetModel();
    m_rows.clear();
    m_queued.clear();
    for (const QJsonValue &value : records)
        m_rows.append(ActivityRecord::fromJson(value.toObject()));
    m_received = m_rows.size();
    if (m_rows.size() > MaxRows)
        m_rows.remove(0, m_rows.size() - MaxRows);
    endResetModel();
}

void ActivityModel::append(const QJsonObject &record)
{
    m_queued.append(ActivityRecord::fromJson(record));
    ++m_received;
    if (!m_flushTimer->isActive())
        m_flushTimer->start();
}

void ActivityModel::flush()
{
    m_flushTimer->stop();
    if (m_queued.isEmpty())
        return;
    if (m_queued.size() > MaxRows) // a burst larger than the table: only its newest rows could stay
        m_queued.remove(0, m_queued.size() - MaxRows);
    const int first = int(m_rows.size());
    beginInsertRows({}, first, first + int(m_queued.size()) - 1);
    m_rows.append(m_queued);
    endInsertRows();
    m_queued.clear();
    trim();
}

void ActivityModel::trim()
{
    const int excess = int(m_rows.size()) - MaxRows;
    if (excess <= 0)
        return;
    beginRemoveRows({}, 0, excess - 1);
    m_rows.remove(0, excess);
    endRemoveRows();
}

void ActivityModel::clear()
{
    setRecent({});
}

} // namespace ferry::admingui
