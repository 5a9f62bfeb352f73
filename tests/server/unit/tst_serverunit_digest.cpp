// DIGEST's hashing (sha256Range) against the FIPS 180-4 examples, over byte ranges of a real file, and
// its ways of giving up, each told apart (the answer depends on it: FILE_CHANGED, INTERNAL, or none):
// the file ended early, an abort between chunks, and reads that fail (a bad descriptor, a pipe, a
// directory: real pread() failures, as an I/O error would be).
#include "worker/digest.h"

#include <QDir>
#include <QTemporaryFile>
#include <QTest>

#include <fcntl.h>
#include <unistd.h>

using ferry::server::Sha256Sum;
using ferry::server::sha256Range;
using ferry::server::manifest::Failure;
using ferry::server::manifest::Problem;
using ferry::server::manifest::Result;
using ferry::server::UniqueFd;
using ferry::server::WorkerSlot;

namespace {

// The data in a temporary file, reopened read-only as the worker opens it.
UniqueFd fileHolding(QTemporaryFile &file, const QByteArray &data)
{
    if (!file.open() || file.write(data) != data.size() || !file.flush())
        return UniqueFd();
    return UniqueFd(::open(file.fileName().toLocal8Bit().constData(), O_RDONLY | O_CLOEXEC));
}

QByteArray hex(const Result<Sha256Sum> &result)
{
    const auto *digest = std::get_if<Sha256Sum>(&result);
    if (!digest)
        return "(none: " + QByteArray::fromStdString(std::get<Problem>(result).message) + ")";
    return QByteArray(reinterpret_cast<const char *>(digest->data()), int(digest->size())).toHex();
}

// What stopped the hash; a Problem with an empty message if it did not stop.
Problem problemOf(const Result<Sha256Sum> &result)
{
    const auto *problem = std::get_if<Problem>(&result);
    return problem ? *problem : Problem{Failure::Internal, {}};
}

const auto NeverAbort = [] { return false; };

} // namespace

class TestDigest : public QObject {
    Q_OBJECT
private slots:
    void vectors_data();
    void vectors();
    void rangeOfAFile();
    void fileEndsEarly();
    void abortBetweenChunks();
    void readFails_data();
    void readFails();
};

void TestDigest::vectors_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArray>("digest");
    QTest::newRow("empty") << QByteArray()
                           << QByteArray("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    QTest::newRow("abc") << QByteArray("abc")
                         << QByteArray("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    QTest::newRow("448 bits") << QByteArray("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                              << QByteArray("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    // Four 256 KiB chunks less a little: the digest must not depend on where the chunks fall.
    QTest::newRow("million a") << QByteArray(1000000, 'a')
                               << QByteArray("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    QTest::newRow("55 bytes (one-block padding edge)") << QByteArray(55, 'x')
        << QByteArray("d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072");
    QTest::newRow("56 bytes (two-block padding edge)") << QByteArray(56, 'x')
        << QByteArray("04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e");
}

void TestDigest::vectors()
{
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, digest);
    QTemporaryFile file;
    const UniqueFd fd = fileHolding(file, input);
    QVERIFY(fd.isValid());
    WorkerSlot slot;
    QCOMPARE(hex(sha256Range(fd, 0, uint64_t(input.size()), slot, NeverAbort)), digest);
    QCOMPARE(slot.bytesSent.load(), uint64_t(input.size())); // progress reaches the scoreboard
}

void TestDigest::rangeOfAFile()
{
    // "abc" in the middle of a larger file: offset and length select exactly those bytes.
    QTemporaryFile file;
    const UniqueFd fd = fileHolding(file, QByteArray(300000, 'z') + "abc" + QByteArray(10, 'z'));
    WorkerSlot slot;
    QCOMPARE(hex(sha256Range(fd, 300000, 3, slot, NeverAbort)),
             QByteArray("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
}

void TestDigest::fileEndsEarly()
{
    QTemporaryFile file;
    const UniqueFd fd = fileHolding(file, QByteArray(1000, 'x'));
    WorkerSlot slot;
    const Problem problem = problemOf(sha256Range(fd, 0, 2000, slot, NeverAbort)); // shrank after its size was taken
    QCOMPARE(problem.failure, Failure::FileChanged);
    QCOMPARE(problem.message, std::string("the file became shorter while it was being hashed")); // as over TLS
}

void TestDigest::abortBetweenChunks()
{
    QTemporaryFile file;
    const UniqueFd fd = fileHolding(file, QByteArray(1 << 20, 'x'));
    WorkerSlot slot;
    int asked = 0;
    const Problem problem = problemOf(sha256Range(fd, 0, 1 << 20, slot, [&asked] { return ++asked == 2; }));
    QCOMPARE(problem.failure, Failure::Aborted); // answered with nothing: the connection closes
    QCOMPARE(slot.bytesSent.load(), uint64_t(256 * 1024)); // one chunk was hashed before the abort
}

void TestDigest::readFails_data()
{
    QTest::addColumn<QString>("what");
    QTest::addColumn<QByteArray>("error");
    QTest::newRow("a closed descriptor") << QStringLiteral("none") << QByteArray("pread(): Bad file descriptor");
    QTest::newRow("a pipe") << QStringLiteral("pipe") << QByteArray("pread(): Illegal seek");
    QTest::newRow("a directory") << QStringLiteral("directory") << QByteArray("pread(): Is a directory");
}

// A read that fails is a read error (INTERNAL), not a changed file: the file may be just as it was.
void TestDigest::readFails()
{
    QFETCH(QString, what);
    QFETCH(QByteArray, error);
    UniqueFd fd, writeEnd;
    if (what == QLatin1String("pipe")) {
        int ends[2];
        QCOMPARE(::pipe2(ends, O_CLOEXEC), 0);
        fd = UniqueFd(ends[0]);
        writeEnd = UniqueFd(ends[1]);
    } else if (what == QLatin1String("directory")) {
        fd = UniqueFd(::open(QDir::tempPath().toLocal8Bit().constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        QVERIFY(fd.isValid());
    }
    WorkerSlot slot;
    const Problem problem = problemOf(sha256Range(fd, 0, 10, slot, NeverAbort));
    QCOMPARE(problem.failure, Failure::ReadFailed);
    QCOMPARE(QByteArray::fromStdString(problem.message), error);
}

QTEST_GUILESS_MAIN(TestDigest)
#include "tst_serverunit_digest.moc"
