// ferry-server transfers: concurrent downloads byte for byte, ranges, STAT and
// LIST (including a directory of 100,000 entries streamed in pages).
#include "parallel.h"
#include "serverprocess.h"
#include "testclient.h"
#include "testtree.h"

#include <QCryptographicHash>
#include <QFile>
#include <QSet>
#include <QTest>

#include <algorithm>
#include <atomic>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

using namespace ferrytest;
using proto::ErrorCode;

namespace {

constexpr quint64 MiB = 1024 * 1024;
constexpr quint64 GiB = 1024 * MiB;
constexpr quint32 RangeSeed = 77;
constexpr quint64 RangeFileSize = 3 * MiB + 777;

struct Download {
    Status status;
    uint64_t received = 0;
    uint64_t announced = UINT64_MAX; // BODY's length
    uint64_t fileSize = UINT64_MAX;  // BODY's fileSize
    bool matches = false;            // every byte as the pattern says
    uint64_t verifiedBytes = 0;
};

// Handshake and GET of a whole pattern file on a new connection, checked as it streams.
Download downloadVerified(const ServerProcess &server, const QString &path, quint32 seed)
{
    Download d;
    TestClient client(60000);
    d.status = client.open(server.host(), server.port());
    if (!d.status.ok()) {
        return d;
    }
    PatternVerifier verifier(seed);
    const GetResult r = client.get(path.toStdString(), 0, proto::ToEnd,
                                   [&verifier](const char *data, size_t size) { return verifier.update(data, size); });
    d.status = r.status;
    d.received = r.received;
    if (r.body) {
        d.announced = r.body->length;
        d.fileSize = r.body->fileSize;
    }
    d.matches = verifier.matches();
    d.verifiedBytes = verifier.position();
    return d;
}

} // namespace

class TestServerTransfer : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void concurrentDownloadsAreByteIdentical();
    void getRange_data();
    void getRange();
    void statAndListDescribeTheTree();
    void hugeDirectoryStreamsInPages();
    void shrinkingFileEndsWithFileChanged();
    void fileRewrittenInPlaceEndsWithFileChanged();
    void pipelinedRequestsAreAnsweredInOrder();
    void digestOfARange_data();
    void digestOfARange();
    void requestsArrivingByteByByte();

private:
    std::unique_ptr<TestTree> m_rangeTree;
    std::unique_ptr<ServerProcess> m_rangeServer;
};

void TestServerTransfer::initTestCase()
{
    if (ServerProcess::defaultProgram().isEmpty()) {
        QSKIP("ferry-server is not built in this tree");
    }
    raiseFdLimit();
    m_rangeTree = std::make_unique<TestTree>();
    QVERIFY(m_rangeTree->isValid());
    QVERIFY(!m_rangeTree->addFile(QStringLiteral("range.bin"), RangeFileSize, RangeSeed).isEmpty());
    m_rangeServer = std::make_unique<ServerProcess>(m_rangeTree->root(), QStringList{"--workers", "2"});
    QVERIFY2(m_rangeServer->start(), qPrintable(m_rangeServer->diagnostics()));
}

// 4 workers, 16 clients at once, sizes from 0 bytes to 1 GiB. Each download is
// checked against the expected pattern as it streams (nothing held in memory).
void TestServerTransfer::concurrentDownloadsAreByteIdentical()
{
    const QList<uint64_t> sizes{0,           1,       4095,         4096,     65537,        MiB - 1,
                                MiB,         MiB + 1, 3 * MiB + 5,  5 * MiB,  8 * MiB + 13, 16 * MiB,
                                24 * MiB + 1, 32 * MiB, 48 * MiB + 7, GiB};
    TestTree tree;
    QVERIFY(tree.isValid());
    for (int i = 0; i < sizes.size(); ++i) {
        QVERIFY(!tree.addFile(QStringLiteral("files/f%1.bin").arg(i), sizes[i], quint32(i + 1)).isEmpty());
    }
    ServerProcess server(tree.root(), {"--workers", "4"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QCOMPARE(server.workerPids().size(), 4);

    std::vector<Download> downloads(size_t(sizes.size()));
    runInThreads(int(sizes.size()), int(sizes.size()), [&](int i) {
        downloads[size_t(i)] = downloadVerified(server, QStringLiteral("files/f%1.bin").arg(i), quint32(i + 1));
    });
    for (int i = 0; i < sizes.size(); ++i) {
        const Download &d = downloads[size_t(i)];
        const QByteArray what = QByteArray("file ") + QByteArray::number(i) + " (" + QByteArray::number(sizes[i])
            + " bytes): " + d.status.toString().toUtf8();
        QVERIFY2(d.status.ok(), what.constData());
        QCOMPARE(d.announced, sizes[i]);
        QCOMPARE(d.fileSize, sizes[i]);
        QCOMPARE(d.received, sizes[i]);
        QVERIFY2(d.matches && d.verifiedBytes == sizes[i], what.constData());
    }
    QCOMPARE(server.workerPids().size(), 4);
    QCOMPARE(server.stop(), 0);
}

void TestServerTransfer::getRange_data()
{
    QTest::addColumn<quint64>("offset");
    QTest::addColumn<quint64>("length");
    QTest::addColumn<quint64>("expectedLength"); // bytes the BODY must announce and carry
    QTest::addColumn<int>("expectedCode");       // ErrorCode of the reply

    const quint64 size = RangeFileSize;
    const int ok = int(ErrorCode::Ok);
    const int unsatisfiable = int(ErrorCode::RangeNotSatisfiable);
    QTest::newRow("whole file") << 0ull << quint64(proto::ToEnd) << size << ok;
    QTest::newRow("from offset 1 to end") << 1ull << quint64(proto::ToEnd) << size - 1 << ok;
    QTest::newRow("across a MiB boundary") << MiB - 5 << 10ull << 10ull << ok;
    QTest::newRow("offset and length") << 12345ull << MiB << MiB << ok;
    QTest::newRow("zero length") << 100ull << 0ull << 0ull << ok;
    QTest::newRow("last byte") << size - 1 << quint64(proto::ToEnd) << 1ull << ok;
    QTest::newRow("tail from 2 MiB") << 2 * MiB << quint64(proto::ToEnd) << size - 2 * MiB << ok;
    QTest::newRow("length past the end is cut at the end") << size - 10 << 100ull << 10ull << ok;
    QTest::newRow("offset == size: empty body") << size << quint64(proto::ToEnd) << 0ull << ok;
    QTest::newRow("offset == size with a length") << size << 5ull << 0ull << ok;
    QTest::newRow("offset == size + 1") << size + 1 << quint64(proto::ToEnd) << 0ull << unsatisfiable;
    QTest::newRow("offset near 2^64") << quint64(UINT64_MAX - 1) << 1ull << 0ull << unsatisfiable;
}

// GET at an offset / with a length returns exactly that range; the connection
// stays usable afterwards (the next request on it is served).
void TestServerTransfer::getRange()
{
    QFETCH(quint64, offset);
    QFETCH(quint64, length);
    QFETCH(quint64, expectedLength);
    QFETCH(int, expectedCode);

    TestClient client;
    Status opened = client.open(m_rangeServer->host(), m_rangeServer->port());
    QVERIFY2(opened.ok(), qPrintable(opened.toString()));
    const GetResult r = client.get("range.bin", offset, length);

    if (expectedCode != int(ErrorCode::Ok)) {
        QVERIFY2(r.status.is(ErrorCode(expectedCode)), qPrintable(r.status.toString()));
        QVERIFY(!r.body.has_value());
    } else {
        QVERIFY2(r.status.ok(), qPrintable(r.status.toString()));
        QVERIFY(r.body.has_value());
        QCOMPARE(r.body->offset, offset);
        QCOMPARE(r.body->length, expectedLength);
        QCOMPARE(r.body->fileSize, RangeFileSize);
        QCOMPARE(r.body->mtimeNs, fileMtimeNs(m_rangeTree->path(QStringLiteral("range.bin"))));
        QCOMPARE(quint64(r.data.size()), expectedLength);
        QVERIFY(r.data == patternBytes(RangeSeed, offset, expectedLength));
    }

    const GetResult again = client.get("range.bin", 5, 7);
    QVERIFY2(again.status.ok(), qPrintable(again.status.toString()));
    QVERIFY(again.data == patternBytes(RangeSeed, 5, 7));
}

void TestServerTransfer::statAndListDescribeTheTree()
{
    TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("a.bin"), 1000, 1).isEmpty());
    QVERIFY(!tree.addFile(QStringLiteral("sub/b.bin"), 70000, 2).isEmpty());
    QVERIFY(!tree.addDir(QStringLiteral("empty")).isEmpty());
    ServerProcess server(tree.root(), {"--workers", "1"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    TestClient client;
    QVERIFY(client.open(server.host(), server.port()).ok());
    QCOMPARE(client.welcome().version, proto::ProtocolVersion);

    proto::Entry entry;
    QVERIFY(client.stat("sub/b.bin", &entry).ok());
    QCOMPARE(entry.kind, proto::EntryKind::File);
    QCOMPARE(entry.size, 70000ull);
    QCOMPARE(entry.mtimeNs, fileMtimeNs(tree.path(QStringLiteral("sub/b.bin"))));
    QVERIFY(client.stat("sub", &entry).ok());
    QCOMPARE(entry.kind, proto::EntryKind::Directory);
    QVERIFY(client.stat("missing", &entry).is(ErrorCode::NotFound));

    const ListResult root = client.list("");
    QVERIFY2(root.status.ok(), qPrintable(root.status.toString()));
    QMap<QString, proto::Entry> byName;
    for (const proto::Entry &e : root.entries) {
        byName.insert(QString::fromStdString(e.name), e);
    }
    QCOMPARE(byName.keys(), (QStringList{"a.bin", "empty", "sub"}));
    QCOMPARE(byName["a.bin"].kind, proto::EntryKind::File);
    QCOMPARE(byName["a.bin"].size, 1000ull);
    QCOMPARE(byName["sub"].kind, proto::EntryKind::Directory);

    const ListResult empty = client.list("empty");
    QVERIFY2(empty.status.ok(), qPrintable(empty.status.toString()));
    QCOMPARE(empty.entries.size(), size_t(0));
    QVERIFY(client.list("a.bin").status.is(ErrorCode::NotADirectory));
    QVERIFY(client.list("nowhere").status.is(ErrorCode::NotFound));
    QVERIFY(client.get("missing.bin").status.is(ErrorCode::NotFound));
    QVERIFY(client.get("sub").status.is(ErrorCode::NotAFile));
    const GetResult whole = client.get("sub/b.bin");
    QVERIFY2(whole.status.ok(), qPrintable(whole.status.toString()));
    QVERIFY(whole.data == patternBytes(2, 0, 70000));
    QCOMPARE(server.stop(), 0);
}

// LIST of 100,000 entries arrives in many pages, each within the frame limit
// (the decoder refuses larger ones), and every name arrives exactly once.
void TestServerTransfer::hugeDirectoryStreamsInPages()
{
    constexpr int Count = 100000;
    const QString prefix = QStringLiteral("entry-with-a-fairly-long-name-to-fill-pages-");
    TestTree tree(memoryBackedTempDir());
    QVERIFY(tree.addManyFiles(QStringLiteral("big"), Count, prefix));
    ServerProcess server(tree.root(), {"--workers", "1"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));

    TestClient client(60000);
    QVERIFY(client.open(server.host(), server.port()).ok());
    const ListResult listing = client.list("big");
    QVERIFY2(listing.status.ok(), qPrintable(listing.status.toString()));
    QCOMPARE(int(listing.entries.size()), Count);
    QVERIFY2(listing.pages > 1, qPrintable(QStringLiteral("%1 page(s)").arg(listing.pages)));

    QSet<QString> names;
    for (const proto::Entry &e : listing.entries) {
        QCOMPARE(e.kind, proto::EntryKind::File);
        names.insert(QString::fromStdString(e.name));
    }
    QCOMPARE(int(names.size()), Count);
    for (int i = 0; i < Count; ++i) {
        const QString name = prefix + QStringLiteral("%1").arg(i, 6, 10, QLatin1Char('0'));
        QVERIFY2(names.contains(name), qPrintable(name));
    }
    // The connection is still in step after the stream: another request works.
    QVERIFY(client.stat("big").ok());
    QCOMPARE(server.stop(), 0);
}

// A file truncated while it is being sent: every announced byte still arrives, the file's bytes
// up to where it could still be read and zeros after (PROTOCOL.md, BODY_END), then BODY_END
// FILE_CHANGED — no hang — and the connection stays usable. Rate-limited so the truncation lands
// mid-transfer.
void TestServerTransfer::shrinkingFileEndsWithFileChanged()
{
    constexpr quint64 Size = 4 * MiB;
    constexpr quint32 Seed = 8;
    TestTree tree;
    const QString path = tree.addFile(QStringLiteral("shrinks.bin"), Size, Seed);
    QVERIFY(!path.isEmpty());
    ServerProcess server(tree.root(), {"--workers", "1", "--rate-limit", "2097152"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));

    TestClient client;
    QVERIFY(client.open(server.host(), server.port()).ok());
    bool truncated = false;
    QByteArray body;
    const GetResult r = client.get("shrinks.bin", 0, proto::ToEnd, [&](const char *data, size_t size) {
        truncated = truncated || ::truncate(QFile::encodeName(path).constData(), 0) == 0;
        body.append(data, qsizetype(size));
        return true;
    });
    QVERIFY(truncated);
    QVERIFY2(r.status.is(ErrorCode::FileChanged), qPrintable(r.status.toString()));
    QCOMPARE(r.received, Size);
    QCOMPARE(quint64(body.size()), Size);
    // The file's own bytes first, then nothing but the server's zeros.
    PatternVerifier verifier(Seed);
    verifier.update(body.constData(), size_t(body.size()));
    const qsizetype sentFromFile = qsizetype(std::min<uint64_t>(verifier.firstMismatch(), Size));
    QVERIFY2(sentFromFile > 0 && quint64(sentFromFile) < Size,
             qPrintable(QStringLiteral("%1 bytes of the file before the padding").arg(sentFromFile)));
    const auto firstNonZero = std::find_if(body.cbegin() + sentFromFile, body.cend(), [](char c) { return c != 0; });
    QVERIFY2(firstNonZero == body.cend(), qPrintable(QStringLiteral("byte %1, after the file's end, is not a zero")
                                                         .arg(firstNonZero - body.cbegin())));
    proto::Entry entry;
    QVERIFY(client.stat("shrinks.bin", &entry).ok());
    QCOMPARE(entry.size, 0ull);
    QCOMPARE(server.stop(), 0);
}

// A file rewritten in place (same size, other bytes, a new mtime) while it is being sent: the
// body cannot be trusted, so BODY_END says FILE_CHANGED although every announced byte arrived.
void TestServerTransfer::fileRewrittenInPlaceEndsWithFileChanged()
{
    constexpr quint64 Size = 4 * MiB;
    TestTree tree;
    const QString path = tree.addFile(QStringLiteral("rewritten.bin"), Size, 10);
    QVERIFY(!path.isEmpty());
    ServerProcess server(tree.root(), {"--workers", "1", "--rate-limit", "2097152"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));

    TestClient client;
    QVERIFY(client.open(server.host(), server.port()).ok());
    bool rewritten = false;
    const GetResult r = client.get("rewritten.bin", 0, proto::ToEnd, [&](const char *, size_t) {
        if (!rewritten) {
            QFile file(path);
            const QByteArray other = patternBytes(11, 0, Size);
            rewritten = file.open(QIODevice::ReadWrite) && file.write(other) == qint64(Size); // no truncation
        }
        return true;
    });
    QVERIFY(rewritten);
    QVERIFY2(r.status.is(ErrorCode::FileChanged), qPrintable(r.status.toString()));
    QCOMPARE(r.received, Size);
    const GetResult again = client.get("rewritten.bin");
    QVERIFY2(again.status.ok() && again.data == patternBytes(11, 0, Size), qPrintable(again.status.toString()));
    QCOMPARE(server.stop(), 0);
}

void TestServerTransfer::digestOfARange_data()
{
    QTest::addColumn<quint64>("offset");
    QTest::addColumn<quint64>("length");
    QTest::addColumn<quint64>("expectedLength");
    QTest::newRow("whole file") << 0ull << quint64(proto::ToEnd) << RangeFileSize;
    QTest::newRow("a range") << 1000ull << MiB << MiB;
    QTest::newRow("clamped at the end") << RangeFileSize - 5 << 100ull << 5ull;
    QTest::newRow("empty at the end") << RangeFileSize << quint64(proto::ToEnd) << 0ull;
}

// DIGEST answers the SHA-256 of exactly the range GET would send.
void TestServerTransfer::digestOfARange()
{
    QFETCH(quint64, offset);
    QFETCH(quint64, length);
    QFETCH(quint64, expectedLength);
    TestClient client;
    QVERIFY(client.open(m_rangeServer->host(), m_rangeServer->port()).ok());
    std::string digest;
    const Status s = client.digest("range.bin", &digest, offset, length);
    QVERIFY2(s.ok(), qPrintable(s.toString()));
    const QByteArray expected = QCryptographicHash::hash(patternBytes(RangeSeed, offset, expectedLength),
                                                         QCryptographicHash::Sha256);
    QCOMPARE(QByteArray::fromStdString(digest).toHex(), expected.toHex());
    QVERIFY(client.digest("range.bin", &digest, RangeFileSize + 1).is(ErrorCode::RangeNotSatisfiable));
    QVERIFY(client.digest("range.bin", &digest, 0, 10, proto::DigestAlgo::None).is(ErrorCode::Unsupported));
}

// PROTOCOL.md §3: a client may send requests right behind HELLO; the server
// answers in order. The bytes the parent read beyond the first frame must reach
// the worker.
void TestServerTransfer::pipelinedRequestsAreAnsweredInOrder()
{
    TestClient client;
    QVERIFY(client.connectTo(m_rangeServer->host(), m_rangeServer->port()).ok());
    const auto frame = [](const proto::Message &m) {
        const std::vector<uint8_t> bytes = proto::encode(m);
        return QByteArray(reinterpret_cast<const char *>(bytes.data()), qsizetype(bytes.size()));
    };
    QVERIFY(client.sendRaw(frame(proto::Hello{proto::ProtocolVersion, "pipeline"})
                           + frame(proto::GetRequest{"range.bin", 10, 5000}) + frame(proto::StatRequest{"range.bin"})
                           + frame(proto::GetRequest{"missing", 0, proto::ToEnd})
                           + frame(proto::GetRequest{"range.bin", MiB, 70000})));
    proto::Message reply;
    QVERIFY(client.readMessage(&reply).ok());
    QVERIFY(std::holds_alternative<proto::Welcome>(reply));

    QByteArray first;
    const auto collect = [&first](const char *data, size_t size) {
        first.append(data, qsizetype(size));
        return true;
    };
    GetResult r = client.readGetReply(collect);
    QVERIFY2(r.status.ok(), qPrintable(r.status.toString()));
    QVERIFY(first == patternBytes(RangeSeed, 10, 5000));
    QVERIFY(client.readMessage(&reply).ok());
    QVERIFY(std::holds_alternative<proto::StatReply>(reply));
    QCOMPARE(std::get<proto::StatReply>(reply).entry.size, RangeFileSize);
    QVERIFY(client.readGetReply(collect).status.is(ErrorCode::NotFound));
    first.clear();
    r = client.readGetReply(collect);
    QVERIFY2(r.status.ok(), qPrintable(r.status.toString()));
    QVERIFY(first == patternBytes(RangeSeed, MiB, 70000));
}

// The parent and the worker decode incrementally: a handshake and requests sent
// one byte per segment are understood as if sent at once.
void TestServerTransfer::requestsArrivingByteByByte()
{
    TestClient client;
    QVERIFY(client.connectTo(m_rangeServer->host(), m_rangeServer->port()).ok());
    const int one = 1;
    ::setsockopt(client.socketDescriptor(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const auto drip = [&client](const proto::Message &m) {
        const std::vector<uint8_t> bytes = proto::encode(m);
        for (uint8_t byte : bytes) {
            if (!client.sendRaw(QByteArray(1, char(byte)))) {
                return false;
            }
        }
        return true;
    };
    QVERIFY(drip(proto::Hello{proto::ProtocolVersion, "one byte at a time"}));
    proto::Message reply;
    QVERIFY(client.readMessage(&reply).ok());
    QVERIFY(std::holds_alternative<proto::Welcome>(reply));
    QVERIFY(drip(proto::GetRequest{"range.bin", 3, 300}));
    QByteArray data;
    const GetResult r = client.readGetReply([&data](const char *bytes, size_t size) {
        data.append(bytes, qsizetype(size));
        return true;
    });
    QVERIFY2(r.status.ok(), qPrintable(r.status.toString()));
    QVERIFY(data == patternBytes(RangeSeed, 3, 300));
}

QTEST_GUILESS_MAIN(TestServerTransfer)
#include "tst_server_transfer.moc"
