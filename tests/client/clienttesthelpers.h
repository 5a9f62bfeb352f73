// Helpers shared by the client engine's integration tests.
#pragma once

#include "client/downloadjob.h"
#include "client/downloadqueue.h"
#include "client/ferryurl.h"

#include <QByteArray>
#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QStringList>
#include <QTest>

namespace clienttest {

using ferry::client::DownloadJob;
using ferry::client::DownloadQueue;
using ferry::client::FerryUrl;

// A retry policy quick enough for tests, patient enough to outlast a server restart.
inline ferry::client::RetryPolicy fastRetries()
{
    ferry::client::RetryPolicy policy;
    policy.baseBackoffMs = 50;
    policy.maxBackoffMs = 300;
    policy.maxConnectionRetries = 100;
    policy.maxBusyRetries = 1000;
    return policy;
}

inline FerryUrl urlFor(const QString &host, quint16 port, const QString &path)
{
    return FerryUrl(host, port, path);
}

// Waits until the queue has nothing queued or running.
inline bool waitForIdle(DownloadQueue &queue, int timeoutMs)
{
    if (queue.isIdle() && queue.count() > 0)
        return true;
    QSignalSpy spy(&queue, &DownloadQueue::idle);
    return spy.wait(timeoutMs) || queue.isIdle();
}

// Lets `job` run until at least `atLeast` bytes are on disk (false if it ends or times out first).
inline bool downloadUntil(DownloadJob *job, qint64 atLeast, int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    while (job->receivedBytes() < atLeast && !job->isFinished() && timer.elapsed() < timeoutMs)
        QTest::qWait(20);
    return job->receivedBytes() >= atLeast;
}

inline QString describe(const DownloadJob *job)
{
    return QStringLiteral("%1: state %2, %3/%4 bytes, error '%5'")
        .arg(job->url().toString())
        .arg(int(job->state()))
        .arg(job->receivedBytes())
        .arg(job->totalBytes())
        .arg(job->errorString());
}

// Every file and folder below `root`, relative, sorted; folders end in '/'.
inline QStringList treeListing(const QString &root)
{
    QStringList entries;
    QDirIterator it(root, QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden, QDirIterator::Subdirectories);
    const QDir base(root);
    while (it.hasNext()) {
        it.next();
        const QString relative = base.relativeFilePath(it.filePath());
        entries << (it.fileInfo().isDir() ? relative + u'/' : relative);
    }
    entries.sort();
    return entries;
}

inline QByteArray sha256(const QByteArray &bytes)
{
    return QCryptographicHash::hash(bytes, QCryptographicHash::Sha256);
}

// `size` bytes of a pattern with no period of a power of two, so a block out of place shows.
inline QByteArray patterned(qint64 size)
{
    QByteArray bytes(size, Qt::Uninitialized);
    for (qint64 i = 0; i < size; ++i)
        bytes[i] = char((i * 131 + i / 977) & 0xff);
    return bytes;
}

} // namespace clienttest
