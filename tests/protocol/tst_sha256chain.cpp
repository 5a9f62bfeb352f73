// shared/sha256chain: SHA-256 as a chain of states (the entries of docs/PROTOCOL.md §10.5) against
// sha256sum, the reference a user checks with, on files at the edges of a 64-byte block and of several
// chunks; the state of one block against the spec's test vector; a chain resumed at each chunk's end
// reaching the same digest; refusals off a block boundary.
#include "sha256chain/sha256chain.h"

#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using ferry::sha256chain::Bytes32;
using ferry::sha256chain::Sha256Chain;

namespace {

QByteArray hexOf(const Bytes32 &bytes)
{
    return QByteArray(reinterpret_cast<const char *>(bytes.data()), qsizetype(bytes.size())).toHex();
}

QByteArray pattern(qint64 size)
{
    QByteArray data(size, Qt::Uninitialized);
    for (qint64 i = 0; i < size; ++i)
        data[i] = char((i * 131 + i / 977) & 0xff);
    return data;
}

// sha256sum's hex digest of `data`, written to a file in `dir`; empty if sha256sum could not run.
QByteArray sha256sumOf(const QTemporaryDir &dir, const QByteArray &data)
{
    const QString path = dir.filePath(QStringLiteral("f.bin"));
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(data) != data.size())
        return {};
    file.close();
    QProcess sum;
    sum.start(QStringLiteral("sha256sum"), {path});
    if (!sum.waitForFinished(30000) || sum.exitCode() != 0)
        return {};
    return sum.readAllStandardOutput().left(64);
}

} // namespace

class TestSha256Chain : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void matchesSha256sum_data();
    void matchesSha256sum();
    void stateOfOneBlockIsTheSpecVector();
    void refusesOffABlockBoundary();
};

void TestSha256Chain::initTestCase()
{
    if (QStandardPaths::findExecutable(QStringLiteral("sha256sum")).isEmpty())
        QFAIL("sha256sum (coreutils) is needed");
}

void TestSha256Chain::matchesSha256sum_data()
{
    QTest::addColumn<qint64>("size");
    QTest::addColumn<qint64>("chunkSize");
    QTest::newRow("empty") << qint64(0) << qint64(64);
    QTest::newRow("one byte") << qint64(1) << qint64(64);
    QTest::newRow("one byte short of a block") << qint64(63) << qint64(64);
    QTest::newRow("one block") << qint64(64) << qint64(64);
    QTest::newRow("one byte over a block") << qint64(65) << qint64(64);
    QTest::newRow("several chunks, a short last one") << qint64(5 * 4096 + 17) << qint64(4096);
    QTest::newRow("several chunks, exact") << qint64(3 << 20) << qint64(1 << 20);
}

// Hashed in one go, and again chunk by chunk with each chunk's chain resumed from the state the
// previous one reached (as a client checks chunks on their own): both give sha256sum's digest.
void TestSha256Chain::matchesSha256sum()
{
    QFETCH(qint64, size);
    QFETCH(qint64, chunkSize);
    QTemporaryDir dir;
    const QByteArray data = pattern(size);
    const QByteArray expected = sha256sumOf(dir, data);
    QCOMPARE(expected.size(), 64);

    Sha256Chain whole;
    whole.update(data.constData(), size_t(data.size()));
    QCOMPARE(hexOf(whole.digest()), expected);
    QCOMPARE(whole.length(), quint64(size));
    QCOMPARE(hexOf(whole.digest()), expected); // digest() leaves the chain as it was

    Bytes32 state = Sha256Chain().state().value();
    Bytes32 last = ferry::sha256chain::EmptySha256;
    for (qint64 at = 0; at < size; at += chunkSize) {
        std::optional<Sha256Chain> chain = Sha256Chain::resume(state, quint64(at));
        QVERIFY(chain);
        const qint64 length = std::min(chunkSize, size - at);
        chain->update(data.constData() + at, size_t(length));
        if (at + length < size)
            state = chain->state().value();
        else
            last = chain->digest();
    }
    QCOMPARE(hexOf(last), expected);
}

// PROTOCOL.md's [manifest-page]: the state after 64 × "a" (one compression from the initial state),
// computed there by an implementation of FIPS 180-4 of its own.
void TestSha256Chain::stateOfOneBlockIsTheSpecVector()
{
    Sha256Chain chain;
    const QByteArray block(64, 'a');
    chain.update(block.constData(), 32);
    chain.update(block.constData() + 32, 32);
    QCOMPARE(hexOf(chain.state().value()),
             QByteArray("df5bb81ce81e0626fb45a8944fd40f31b25e6816d6d499c1ab90492900635e66"));
    QCOMPARE(hexOf(Sha256Chain().state().value()), // H0…H7 of FIPS 180-4 §5.3.3
             QByteArray("6a09e667bb67ae853c6ef372a54ff53a510e527f9b05688c1f83d9ab5be0cd19"));
}

void TestSha256Chain::refusesOffABlockBoundary()
{
    Sha256Chain chain;
    chain.update("abc", 3);
    QVERIFY(!chain.state());
    QVERIFY(!Sha256Chain::resume(Bytes32{}, 65));
    QVERIFY(Sha256Chain::resume(Bytes32{}, 128));
}

QTEST_GUILESS_MAIN(TestSha256Chain)
#include "tst_sha256chain.moc"
