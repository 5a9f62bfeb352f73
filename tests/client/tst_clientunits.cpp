// Unit tests of the client engine's pure parts: URLs, collision names, speed/ETA,
// retry decisions, part-file metadata.
#include "client/clienttypes.h"
#include "client/collision.h"
#include "client/ferryurl.h"
#include "client/partfile.h"
#include "client/ratelimiter.h"
#include "client/remoteentry_p.h"
#include "client/retrypolicy.h"
#include "client/speedmeter.h"

#include <QFile>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

using namespace ferry::client;

class TestClientUnits : public QObject
{
    Q_OBJECT
private slots:
    void parseUrl_data();
    void parseUrl();
    void rejectUrl_data();
    void rejectUrl();
    void urlWithoutServerSaysSo_data();
    void urlWithoutServerSaysSo();
    void urlRoundTrip();
    void numberedName_data();
    void numberedName();
    void freeFileNameSkipsTaken();
    void destinationPlan_data();
    void destinationPlan();
    void speedWindow();
    void speedStallsToZero();
    void etaUnknownWhileStalled();
    void speedResetsOnRestart();
    void retryDelays_data();
    void retryDelays();
    void retryLimits_data();
    void retryLimits();
    void whatRetryingCanFix_data();
    void whatRetryingCanFix();
    void serverErrorsWorthRetrying_data();
    void serverErrorsWorthRetrying();
    void rateLimitHoldsWithinAShortWindow();
    void newRateAppliesFromNowOn();
    void unlimitedAllowsEverything();
    void partMetaRoundTrip();
    void partFileWriteAndCommit();
    void partFileReplacesExistingTarget();
};

void TestClientUnits::parseUrl_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("fileName");

    QTest::newRow("default port") << "ferry://example.org/a/b.txt" << "example.org" << 4646 << "a/b.txt" << "b.txt";
    QTest::newRow("explicit port") << "ferry://127.0.0.1:5000/x" << "127.0.0.1" << 5000 << "x" << "x";
    QTest::newRow("root with slash") << "ferry://h/" << "h" << 4646 << "" << "";
    QTest::newRow("root without slash") << "ferry://h" << "h" << 4646 << "" << "";
    QTest::newRow("folder slash") << "ferry://h:1/dir/sub/" << "h" << 1 << "dir/sub" << "sub";
    QTest::newRow("percent-encoded") << "ferry://h/my%20file%231.txt" << "h" << 4646 << "my file#1.txt"
                                     << "my file#1.txt";
    QTest::newRow("double slashes") << "ferry://h//a//b" << "h" << 4646 << "a/b" << "b";
    QTest::newRow("dot segments") << "ferry://h/./a/./b" << "h" << 4646 << "a/b" << "b";
    QTest::newRow("ipv6") << "ferry://[::1]:4700/f" << "::1" << 4700 << "f" << "f";
    QTest::newRow("uppercase scheme") << "FERRY://h/f" << "h" << 4646 << "f" << "f";
    QTest::newRow("utf-8") << QString::fromUtf8("ferry://h/caf\u00e9.txt") << "h" << 4646
                           << QString::fromUtf8("caf\u00e9.txt") << QString::fromUtf8("caf\u00e9.txt");
    // What people paste: raw spaces, unescaped UTF-8, a lone percent sign.
    QTest::newRow("raw space and umlaut") << QString::fromUtf8("ferry://h/docs/\u00dcberweisung 2026.pdf") << "h"
                                          << 4646 << QString::fromUtf8("docs/\u00dcberweisung 2026.pdf")
                                          << QString::fromUtf8("\u00dcberweisung 2026.pdf");
    QTest::newRow("raw spaces in folders") << "ferry://h:5/my docs/a  b/" << "h" << 5 << "my docs/a  b" << "a  b";
    QTest::newRow("lone percent") << "ferry://h/100% done.txt" << "h" << 4646 << "100% done.txt" << "100% done.txt";
    QTest::newRow("surrounding blanks") << "  ferry://h/x y  " << "h" << 4646 << "x y" << "x y";
}

void TestClientUnits::parseUrl()
{
    QFETCH(QString, text);
    QString error;
    const auto url = FerryUrl::parse(text, &error);
    QVERIFY2(url.has_value(), qPrintable(error));
    QTEST(url->host(), "host");
    QTEST(int(url->port()), "port");
    QTEST(url->path(), "path");
    QTEST(url->fileName(), "fileName");
}

void TestClientUnits::rejectUrl_data()
{
    QTest::addColumn<QString>("text");
    QTest::newRow("http") << "http://h/x";
    QTest::newRow("no scheme") << "h/x";
    QTest::newRow("no host") << "ferry:///x";
    QTest::newRow("bad port") << "ferry://h:99999/x";
    QTest::newRow("port text") << "ferry://h:abc/x";
    QTest::newRow("query") << "ferry://h/x?y=1";
    QTest::newRow("fragment") << "ferry://h/x#frag";
    QTest::newRow("user") << "ferry://user@h/x";
    QTest::newRow("empty") << "";
    QTest::newRow("bad host") << "ferry://ex ample.org/x";
}

void TestClientUnits::urlWithoutServerSaysSo_data()
{
    QTest::addColumn<QString>("text");
    QTest::newRow("nothing") << "ferry:///x";
    QTest::newRow("only a port") << "ferry://:4646/x";
    QTest::newRow("only a user and a port") << "ferry://u@:4646/x";
}

// A link with no server in it is told so, whatever else it names.
void TestClientUnits::urlWithoutServerSaysSo()
{
    QFETCH(QString, text);
    QString error;
    QVERIFY(!FerryUrl::parse(text, &error).has_value());
    QVERIFY2(error.endsWith(QLatin1String("names no server.")), qPrintable(error));
}

// The reason is one sentence a user can act on, not the URL parser's internals.
void TestClientUnits::rejectUrl()
{
    QFETCH(QString, text);
    QString error;
    QVERIFY(!FerryUrl::parse(text, &error).has_value());
    QVERIFY(!error.isEmpty());
    QVERIFY2(error.at(0).isUpper() || error.startsWith(u'\u201c'), qPrintable(error));
    QVERIFY2(error.endsWith(u'.'), qPrintable(error));
    QVERIFY2(!error.contains(QLatin1String("Invalid")) && !error.contains(QLatin1String("character")),
             qPrintable(error)); // QUrl's own words
}

void TestClientUnits::urlRoundTrip()
{
    const FerryUrl url(QStringLiteral("127.0.0.1"), 4700, QStringLiteral("dir/a b#c.txt"));
    const auto again = FerryUrl::parse(url.toString());
    QVERIFY(again.has_value());
    QCOMPARE(*again, url);
    QCOMPARE(url.child(QStringLiteral("x")).path(), QStringLiteral("dir/a b#c.txt/x"));
    QCOMPARE(FerryUrl(QStringLiteral("h"), 1, QString()).child(QStringLiteral("x")).path(), QStringLiteral("x"));
    QCOMPARE(url.withServer(QStringLiteral("h2"), 9).toString(), QStringLiteral("ferry://h2:9/dir/a%20b%23c.txt"));
}

void TestClientUnits::numberedName_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("number");
    QTest::addColumn<QString>("expected");
    QTest::newRow("extension") << "report.pdf" << 1 << "report (1).pdf";
    QTest::newRow("double extension") << "a.tar.gz" << 2 << "a (2).tar.gz";
    QTest::newRow("no extension") << "README" << 1 << "README (1)";
    QTest::newRow("dot file") << ".profile" << 1 << ".profile (1)";
    QTest::newRow("dot file with extension") << ".config.json" << 3 << ".config (3).json";
    QTest::newRow("spaces") << "my file.txt" << 10 << "my file (10).txt";
    // A version's dots belong to the name: only the last extension is split off.
    QTest::newRow("versioned") << "ferry-1.0-x86_64.bin" << 1 << "ferry-1.0-x86_64 (1).bin";
    QTest::newRow("versioned archive") << "ferry-2.3.1.tar.xz" << 1 << "ferry-2.3.1 (1).tar.xz";
    QTest::newRow("dotted name") << "Mr. Smith goes.pdf" << 2 << "Mr. Smith goes (2).pdf";
    QTest::newRow("tar short form") << "backup.2026.tgz" << 1 << "backup.2026 (1).tgz";
    QTest::newRow("trailing dot") << "odd." << 1 << "odd (1).";
}

void TestClientUnits::numberedName()
{
    QFETCH(QString, name);
    QFETCH(int, number);
    QTEST(ferry::client::numberedName(name, number), "expected");
}

void TestClientUnits::freeFileNameSkipsTaken()
{
    const QSet<QString> taken{QStringLiteral("a.txt"), QStringLiteral("a (1).txt"), QStringLiteral("a (2).txt")};
    const auto isTaken = [&taken](const QString &name) { return taken.contains(name); };
    QCOMPARE(freeFileName(QStringLiteral("a.txt"), isTaken), QStringLiteral("a (3).txt"));
    QCOMPARE(freeFileName(QStringLiteral("b.txt"), isTaken), QStringLiteral("b.txt"));
}

void TestClientUnits::destinationPlan_data()
{
    QTest::addColumn<QString>("policy");
    QTest::addColumn<bool>("exists");
    QTest::addColumn<int>("action");
    QTest::addColumn<QString>("path");
    using Action = DestinationPlan::Action;
    QTest::newRow("free: rename") << "rename" << false << int(Action::Write) << "/d/a.txt";
    QTest::newRow("free: skip") << "skip" << false << int(Action::Write) << "/d/a.txt";
    QTest::newRow("free: resume") << "resume" << false << int(Action::Write) << "/d/a.txt";
    QTest::newRow("exists: rename") << "rename" << true << int(Action::Write) << "/d/a (2).txt";
    QTest::newRow("exists: overwrite") << "overwrite" << true << int(Action::Write) << "/d/a.txt";
    QTest::newRow("exists: skip") << "skip" << true << int(Action::Skip) << "/d/a.txt";
    QTest::newRow("exists: resume") << "resume" << true << int(Action::AdoptExisting) << "/d/a.txt";
}

void TestClientUnits::destinationPlan()
{
    QFETCH(QString, policy);
    QFETCH(bool, exists);
    // "a (1).txt" is taken too, so a rename must go on to "a (2).txt".
    QSet<QString> onDisk{QStringLiteral("/d/a (1).txt")};
    if (exists)
        onDisk << QStringLiteral("/d/a.txt");
    const DestinationPlan plan = planDestination(QStringLiteral("/d/a.txt"), *policyFromName(policy),
                                                 [&onDisk](const QString &path) { return onDisk.contains(path); });
    QTEST(int(plan.action), "action");
    QTEST(plan.path, "path");
}

void TestClientUnits::speedWindow()
{
    SpeedMeter meter(4000);
    // 1 MB every 100 ms for 10 s: 10 MB/s.
    for (int step = 0; step <= 100; ++step)
        meter.addSample(step * 100, qint64(step) * 1000000);
    QCOMPARE(meter.bytesPerSecond(10000), qint64(10000000));
    QCOMPARE(meter.etaSeconds(10000, 50000000), qint64(5));
    // The speed halves: after a full window only the new rate counts.
    for (int step = 1; step <= 40; ++step)
        meter.addSample(10000 + step * 100, 100000000 + qint64(step) * 500000);
    QCOMPARE(meter.bytesPerSecond(14000), qint64(5000000));
}

void TestClientUnits::speedStallsToZero()
{
    SpeedMeter meter(3000);
    meter.addSample(0, 0);
    meter.addSample(1000, 1000);
    QVERIFY(meter.bytesPerSecond(1000) > 0);
    // Nothing new for longer than the window: stalled.
    QCOMPARE(meter.bytesPerSecond(5000), qint64(0));
    // Partly into the stall the speed has dropped but not vanished.
    const qint64 partly = meter.bytesPerSecond(2500);
    QVERIFY(partly > 0 && partly < 1000);
}

void TestClientUnits::etaUnknownWhileStalled()
{
    SpeedMeter meter;
    QCOMPARE(meter.etaSeconds(0, 100), qint64(-1)); // nothing measured yet
    meter.addSample(0, 0);
    meter.addSample(1000, 0);
    QCOMPARE(meter.etaSeconds(1000, 100), qint64(-1));
    QCOMPARE(meter.etaSeconds(1000, 0), qint64(0)); // nothing left: done, not unknown
}

void TestClientUnits::speedResetsOnRestart()
{
    SpeedMeter meter;
    meter.addSample(0, 0);
    meter.addSample(1000, 5000000);
    meter.addSample(1100, 0); // the download started over
    meter.addSample(2100, 1000);
    QCOMPARE(meter.bytesPerSecond(2100), qint64(1000));
}

void TestClientUnits::retryDelays_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<int>("failures");
    QTest::addColumn<int>("retryAfterMs");
    QTest::addColumn<double>("random");
    QTest::addColumn<int>("expected");

    const int busy = int(ErrorKind::ServerBusy);
    const int net = int(ErrorKind::ConnectionError);
    QTest::newRow("busy honours hint") << busy << 1 << 2000 << 0.5 << 2000;
    QTest::newRow("busy jitter low") << busy << 1 << 2000 << 0.0 << 1500;
    QTest::newRow("busy jitter high") << busy << 3 << 2000 << 0.999999 << 2500;
    QTest::newRow("busy without hint") << busy << 1 << 0 << 0.5 << 500;
    QTest::newRow("busy keeps waiting") << busy << 5000 << 100 << 0.5 << 100;
    QTest::newRow("network first") << net << 1 << 0 << 0.5 << 500;
    QTest::newRow("network backoff doubles") << net << 3 << 0 << 0.5 << 2000;
    QTest::newRow("network near the cap") << net << 5 << 0 << 0.5 << 8000;
    QTest::newRow("network capped") << net << 6 << 0 << 0.5 << 10000;
    QTest::newRow("network keeps trying through an outage") << net << 1000 << 0 << 0.5 << 10000;
    QTest::newRow("remote never retried") << int(ErrorKind::RemoteError) << 1 << 0 << 0.5 << -1;
    QTest::newRow("local never retried") << int(ErrorKind::LocalError) << 1 << 0 << 0.5 << -1;
    QTest::newRow("protocol never retried") << int(ErrorKind::ProtocolError) << 1 << 0 << 0.5 << -1;
}

void TestClientUnits::retryDelays()
{
    QFETCH(int, kind);
    QFETCH(int, failures);
    QFETCH(int, retryAfterMs);
    QFETCH(double, random);
    RetryPolicy policy;
    QTEST(policy.delayFor(ErrorKind(kind), failures, retryAfterMs, random), "expected");
}

// A policy with limits (ferry-get's) gives up after them.
void TestClientUnits::retryLimits_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<int>("failures");
    QTest::addColumn<int>("expected");
    const int busy = int(ErrorKind::ServerBusy);
    const int net = int(ErrorKind::ConnectionError);
    QTest::newRow("busy within the limit") << busy << 3 << 500;
    QTest::newRow("busy beyond the limit") << busy << 4 << -1;
    QTest::newRow("network within the limit") << net << 2 << 1000;
    QTest::newRow("network beyond the limit") << net << 3 << -1;
}

void TestClientUnits::retryLimits()
{
    QFETCH(int, kind);
    QFETCH(int, failures);
    RetryPolicy policy;
    policy.maxBusyRetries = 3;
    policy.maxConnectionRetries = 2;
    QTEST(policy.delayFor(ErrorKind(kind), failures, 0, 0.5), "expected");
}

// The explicit split between errors worth waiting out and errors that end a job.
void TestClientUnits::whatRetryingCanFix_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<bool>("fixable");
    QTest::newRow("server unreachable, reset, timed out, draining") << int(ErrorKind::ConnectionError) << true;
    QTest::newRow("server busy") << int(ErrorKind::ServerBusy) << true;
    QTest::newRow("not found, forbidden, not a file") << int(ErrorKind::RemoteError) << false;
    QTest::newRow("disk full, no permission") << int(ErrorKind::LocalError) << false;
    QTest::newRow("not a Ferry server") << int(ErrorKind::ProtocolError) << false;
    QTest::newRow("no error") << int(ErrorKind::NoError) << false;
}

void TestClientUnits::whatRetryingCanFix()
{
    QFETCH(int, kind);
    QFETCH(bool, fixable);
    QCOMPARE(RetryPolicy::canRetryFix(ErrorKind(kind)), fixable);
    const int delay = RetryPolicy().delayFor(ErrorKind(kind), 1, 0, 0.5);
    QCOMPARE(delay >= 0, fixable);
}

// Each ERROR code of the protocol, through its category, to "wait and retry" or "fail".
void TestClientUnits::serverErrorsWorthRetrying_data()
{
    using ferry::proto::ErrorCode;
    QTest::addColumn<int>("code");
    QTest::addColumn<bool>("fixable");
    QTest::newRow("BUSY") << int(ErrorCode::Busy) << true;
    QTest::newRow("SHUTTING_DOWN") << int(ErrorCode::ShuttingDown) << true;
    QTest::newRow("TIMEOUT") << int(ErrorCode::Timeout) << true;
    QTest::newRow("INTERNAL") << int(ErrorCode::Internal) << true;
    QTest::newRow("NOT_FOUND") << int(ErrorCode::NotFound) << false;
    QTest::newRow("FORBIDDEN") << int(ErrorCode::Forbidden) << false;
    QTest::newRow("NOT_A_FILE") << int(ErrorCode::NotAFile) << false;
    QTest::newRow("NOT_A_DIRECTORY") << int(ErrorCode::NotADirectory) << false;
    QTest::newRow("RANGE_NOT_SATISFIABLE") << int(ErrorCode::RangeNotSatisfiable) << false;
    QTest::newRow("UNSUPPORTED") << int(ErrorCode::Unsupported) << false;
    QTest::newRow("BAD_REQUEST") << int(ErrorCode::BadRequest) << false;
    QTest::newRow("UNSUPPORTED_VERSION") << int(ErrorCode::UnsupportedVersion) << false;
}

void TestClientUnits::serverErrorsWorthRetrying()
{
    QFETCH(int, code);
    QFETCH(bool, fixable);
    const ErrorKind kind = ferry::client::kindOf(ferry::proto::Error{ferry::proto::ErrorCode(code), "x"});
    QCOMPARE(RetryPolicy::canRetryFix(kind), fixable);
}

namespace {

// A reader that takes all it may every millisecond, as a fast link would; returns the
// bytes read in [fromMs, toMs).
qint64 readGreedily(RateLimiter &limiter, qint64 fromMs, qint64 toMs)
{
    qint64 total = 0;
    for (qint64 now = fromMs; now < toMs; ++now) {
        const qint64 bytes = limiter.allowance(now, 1 << 20);
        if (bytes > 0) {
            limiter.consume(bytes, now);
            total += bytes;
        }
    }
    return total;
}

} // namespace

// Every half second of a greedy reader holds to the rate, give or take one burst.
void TestClientUnits::rateLimitHoldsWithinAShortWindow()
{
    RateLimiter limiter(1000000);
    const qint64 burst = 100000;
    for (qint64 start = 0; start < 5000; start += 500) {
        const qint64 got = readGreedily(limiter, start, start + 500);
        QVERIFY2(qAbs(got - 500000) <= burst, qPrintable(QStringLiteral("%1 ms: %2 bytes").arg(start).arg(got)));
    }
    QVERIFY(limiter.waitMs(5000) >= 0);
}

// Lowered or raised, a limit governs what comes after: no freeze paying for the past,
// no burst of what was not read before.
void TestClientUnits::newRateAppliesFromNowOn()
{
    RateLimiter limiter(4000000);
    QVERIFY(readGreedily(limiter, 0, 1000) > 3500000);
    limiter.setBytesPerSecond(1000000, 1000);
    const qint64 afterLowering = readGreedily(limiter, 1000, 1500);
    QVERIFY2(afterLowering >= 400000 && afterLowering <= 600000, qPrintable(QString::number(afterLowering)));
    QCOMPARE(limiter.allowance(3000, 1 << 20), qint64(100000)); // idle for 1.5 s: one burst saved, not 1.5 MB
    limiter.consume(100000, 3000);
    limiter.setBytesPerSecond(8000000, 3000);
    const qint64 afterRaising = readGreedily(limiter, 3000, 3500);
    QVERIFY2(afterRaising >= 3500000 && afterRaising <= 4800000, qPrintable(QString::number(afterRaising)));
}

void TestClientUnits::unlimitedAllowsEverything()
{
    RateLimiter limiter;
    QVERIFY(!limiter.isLimited());
    QCOMPARE(limiter.allowance(0, 123456789), qint64(123456789));
    QCOMPARE(limiter.waitMs(0), 0);
    RateLimiter tiny(1000); // below the smallest read worth making: reads come in 16 KiB steps
    QCOMPARE(tiny.allowance(0, 1 << 20), RateLimiter::MinReadBytes);
    tiny.consume(RateLimiter::MinReadBytes, 0);
    QCOMPARE(tiny.allowance(1, 1 << 20), qint64(0));
    QVERIFY(tiny.waitMs(1) > 10000);
}

void TestClientUnits::partMetaRoundTrip()
{
    QTemporaryDir dir;
    const QString target = dir.filePath(QStringLiteral("f.bin"));
    QVERIFY(!PartFile::readMeta(target).has_value());
    // Values beyond 2^53 must survive: JSON doubles would round them.
    const PartMeta meta{QStringLiteral("ferry://h:1/f.bin"), (qint64(1) << 53) + 1, 1732630000123456789};
    QString error;
    QVERIFY2(PartFile::writeMeta(target, meta, &error), qPrintable(error));
    const auto read = PartFile::readMeta(target);
    QVERIFY(read.has_value());
    QCOMPARE(*read, meta);
    PartFile::discard(target);
    QVERIFY(!QFile::exists(PartFile::metaPathFor(target)));
}

void TestClientUnits::partFileWriteAndCommit()
{
    QTemporaryDir dir;
    const QString target = dir.filePath(QStringLiteral("sub/dir/f.bin"));
    PartFile part;
    QString error;
    QVERIFY2(part.open(target, 0, &error), qPrintable(error));
    QVERIFY(part.write("hello ", 6, &error));
    part.close();
    QCOMPARE(PartFile::partSize(target), qint64(6));
    // Reopen at an offset shorter than the file: the tail is cut.
    QVERIFY(part.open(target, 5, &error));
    QVERIFY(part.write("!world", 6, &error));
    QVERIFY(PartFile::writeMeta(target, PartMeta{QStringLiteral("u"), 11, 1}, &error));
    QVERIFY2(part.commit(&error), qPrintable(error));
    QFile file(target);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll(), QByteArray("hello!world"));
    QVERIFY(!QFile::exists(PartFile::partPathFor(target)));
    QVERIFY(!QFile::exists(PartFile::metaPathFor(target)));
}

void TestClientUnits::partFileReplacesExistingTarget()
{
    QTemporaryDir dir;
    const QString target = dir.filePath(QStringLiteral("f.txt"));
    QFile old(target);
    QVERIFY(old.open(QIODevice::WriteOnly));
    old.write("old content");
    old.close();
    PartFile part;
    QString error;
    QVERIFY(part.open(target, 0, &error));
    QVERIFY(part.write("new", 3, &error));
    QVERIFY2(part.commit(&error), qPrintable(error));
    QFile file(target);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll(), QByteArray("new"));
}

QTEST_GUILESS_MAIN(TestClientUnits)
#include "tst_clientunits.moc"
