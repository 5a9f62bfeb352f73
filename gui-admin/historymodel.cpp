#include "historymodel.h"

#include "statusjson.h"

#include <QJsonArray>
#include <QJsonObject>

namespace ferry::admingui {

namespace {

// Pushes arrive about once a second but not to the millisecond: accept one a little early.
constexpr qint64 MinSampleSpacingMs = 900;

} // namespace

HistoryModel::HistoryModel(QObject *parent) : QObject(parent) {}

void HistoryModel::setHistory(const QJsonObject &reply)
{
    m_samples.clear();
    const QJsonArray samples = reply.value(QLatin1String("samples")).toArray();
    m_samples.reserve(samples.size());
    for (const QJsonValue &value : samples) {
        const QJsonObject sample = value.toObject();
        HistorySample s;
        s.tMs = sample.value(QLatin1String("t_ms")).toInteger();
        s.throughput = sample.value(QLatin1String("throughput_bps")).toInteger();
        s.busy = int(sample.value(QLatin1String("busy")).toInteger());
        if (m_samples.isEmpty() || s.tMs > m_samples.constLast().tMs)
            m_samples.append(s);
    }
    dropOld();
    Q_EMIT changed();
}

void HistoryModel::addStatus(const StatusSnapshot &status)
{
    if (status.nowMs <= 0)
        return;
    if (!m_samples.isEmpty() && status.nowMs - m_samples.constLast().tMs < MinSampleSpacingMs)
        return;
    m_samples.append({status.nowMs, status.pool.throughputBps, int(status.pool.busy)});
    dropOld();
    Q_EMIT changed();
}

void HistoryModel::setLive(bool live)
{
    if (live == m_live)
        return;
    m_live = live;
    Q_EMIT changed();
}

void HistoryModel::clear()
{
    if (m_samples.isEmpty())
        return;
    m_samples.clear();
    Q_EMIT changed();
}

void HistoryModel::dropOld()
{
    const qint64 oldest = latestMs() - WindowMs;
    qsizetype keepFrom = 0;
    while (keepFrom < m_samples.size() && m_samples.at(keepFrom).tMs < oldest)
        ++keepFrom;
    m_samples.remove(0, keepFrom);
}

} // namespace ferry::admingui
