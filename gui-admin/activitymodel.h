// The Activity view's rows: audit log records (docs/OPERATIONS.md, "The audit log") as the admin socket
// sends them, the recent ones from audit_subscribe's reply and then one per `audit` event. Bounded
// (the oldest rows go first), and bursts are coalesced: records arriving together are inserted in one
// batch at most every FlushMs, so a busy server does not repaint the table per request.
#pragma once

#include <QAbstractTableModel>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <optional>

class QTimer;

namespace ferry::admingui {

struct ActivityRecord {
    qint64 timeMs = 0; // Unix ms; 0 if the time did not read
    QString peer;
    QString tokenId;
    QString tokenLabel;
    QString request;
    QString path;
    std::optional<qint64> offset;
    std::optional<qint64> length;
    qint64 bytes = 0;
    QString result;
    qint64 durationMs = 0;
    QString tls;

    bool isOk() const { return result == QLatin1String("OK"); }
    // A record as the server writes it; fields that are missing or of the wrong type read as empty.
    static ActivityRecord fromJson(const QJsonObject &object);
};

class ActivityModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { TimeColumn, PeerColumn, TokenColumn, RequestColumn, ResultColumn, BytesColumn, DurationColumn,
                  PathColumn, TlsColumn, ColumnCount };
    enum Role { SortRole = Qt::UserRole + 1 };
    static constexpr int MaxRows = 5000;
    static constexpr int FlushMs = 200;

    explicit ActivityModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    const ActivityRecord &record(int row) const { return m_rows.at(row); }
    // How many records arrived in all since the last setRecent(), including those no longer kept.
    qint64 receivedCount() const { return m_received; }

public Q_SLOTS:
    // Replaces every row (a new subscription's recent lines), at once.
    void setRecent(const QJsonArray &records);
    // Adds one record; shown with the others of its burst within FlushMs.
    void append(const QJsonObject &record);
    // Inserts what append() queued now (the timer does it otherwise).
    void flush();
    void clear();

private:
    void trim();
    QVariant display(const ActivityRecord &record, int column) const;

    QList<ActivityRecord> m_rows;
    QList<ActivityRecord> m_queued;
    QTimer *m_flushTimer;
    qint64 m_received = 0;
};

} // namespace ferry::admingui
