// What the two suites of hashes over TLS share (tst_tls_hashing_turns, tst_tls_hashing_stops): files
// whose hash takes seconds, the server's test hook that logs each hash begun, the one worker's slot.
// (The other client of the same worker that must be served meanwhile is tlstest::serveOther().)
// Header-only: only those two suites compile it.
#pragma once

#include "serverprocess.h"
#include "testtree.h"
#include "tlsrawclient.h"
#include "tlstesthelpers.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QTest>

#include <cstdint>

namespace tlshashing {

namespace proto = ferry::proto;
using tlstest::TlsRawClient;

constexpr uint64_t MiB = 1024 * 1024;
constexpr uint64_t GiB = 1024 * MiB;
constexpr uint64_t Chunk = 4 * MiB; // the server's manifest chunk size
// A file whose hash takes seconds: SHA-256 runs at about 1.7 GB/s with SHA instructions on an idle
// core, and reading a hole costs the kernel a zeroed page per 4 KiB; under load both take longer.
constexpr uint64_t BigSize = 4 * GiB;

// A sparse file of `size` bytes: one chunk of pattern bytes (seed 7), then a hole, which reads as zeros.
inline bool addSparseFile(const ferrytest::TestTree &tree, const QString &name, uint64_t size)
{
    QFile file(tree.path(name));
    return file.open(QIODevice::WriteOnly) && file.write(ferrytest::patternBytes(7, 0, Chunk)) == qint64(Chunk)
           && file.resize(qint64(size));
}

// Lines FERRY_TEST_HASH_LOG has: one per request that started reading a file to hash it.
inline int hashLogLines(const QString &log)
{
    QFile file(log);
    return file.open(QIODevice::ReadOnly) ? int(file.readAll().count('\n')) : 0;
}

// The slot of the only worker in `status` (the admin plane's STATUS object; {} if there is not one).
inline QJsonObject onlyWorkerIn(const QJsonObject &status)
{
    const QJsonArray workers = status.value(QStringLiteral("workers")).toArray();
    return workers.size() == 1 ? workers.first().toObject() : QJsonObject();
}

// The status of the server's only worker ({} if there is none).
inline QJsonObject onlyWorker(const ServerProcess &server) { return onlyWorkerIn(tlstest::adminStatus(server)); }

inline bool openVersion2(TlsRawClient &client, const ServerProcess &server, QString *why)
{
    client.setProtocolVersion(2);
    return client.open(server.host(), server.port(), why);
}

} // namespace tlshashing
