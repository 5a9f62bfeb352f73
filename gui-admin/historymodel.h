// The last ten minutes of throughput and busy workers: seeded from the server's `history` reply and kept
// current from the status pushes, one sample per second of server time (ADMIN.md §4.3).
#pragma once

#include <QList>
#include <QObject>

class QJsonObject;

namespace ferry::admin {
struct StatusSnapshot;
}

namespace ferry::admingui {

struct HistorySample {
    qint64 tMs = 0;       // server wall clock, Unix ms
    qint64 throughput = 0; // bytes per second
    int busy = 0;
};

class HistoryModel : public QObject
{
    Q_OBJECT
public:
    static constexpr qint64 WindowMs = 10 * 60 * 1000;

    explicit HistoryModel(QObject *parent = nullptr);

    const QList<HistorySample> &samples() const { return m_samples; }
    // Server time of the newest sample (the charts' right edge), 0 when empty.
    qint64 latestMs() const { return m_samples.isEmpty() ? 0 : m_samples.constLast().tMs; }

    // Replaces everything with a `history` reply's samples.
    void setHistory(const QJsonObject &reply);
    // Adds the status as a sample if at least about a second of server time passed since the newest one
    // (a faster subscription must not squeeze the time axis).
    void addStatus(const admin::StatusSnapshot &status);
    void clear();
    // Whether samples still arrive. The history is kept when the server goes away (it is what led up to
    // that), but its last sample is then no longer "now".
    bool isLive() const { return m_live; }
    void setLive(bool live);

Q_SIGNALS:
    void changed();

private:
    void dropOld();

    QList<HistorySample> m_samples;
    bool m_live = false;
};

} // namespace ferry::admingui
