// The Downloader's saved queue read back at start (shared/client/savedjob.h): a damaged entry is dropped
// or restored as Failed saying so, never as Done or with an error that does not exist, and the entries
// around it are kept; a queue text cut short keeps what came before the cut.
#include "client/clienttypes.h"
#include "client/downloadjob.h"
#include "client/downloadqueue.h"
#include "client/ferryurl.h"
#include "client/savedjob.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMetaEnum>
#include <QTemporaryDir>
#include <QTest>

using namespace ferry::client;

class TestClientSavedQueue : public QObject
{
    Q_OBJECT
private slots:
    void damagedQueueEntry_data();
    void damagedQueueEntry();
    void damagedQueueText_data();
    void damagedQueueText();
};

void TestClientSavedQueue::damagedQueueEntry_data()
{
    // Fields written over a Paused job's own toJson() ("null" removes one); what comes back: a state's
    // name, or "dropped".
    QTest::addColumn<QByteArray>("fields");
    QTest::addColumn<QString>("outcome");

    QTest::newRow("intact") << QByteArray("{}") << "Paused";
    QTest::newRow("intact done") << QByteArray(R"({"state":"Done","totalBytes":"10","receivedBytes":"10"})")
                                 << "Done";
    QTest::newRow("error out of range") << QByteArray(R"({"state":"Failed","error":99})") << "Failed";
    QTest::newRow("error negative") << QByteArray(R"({"state":"Failed","error":-1})") << "Failed";
    QTest::newRow("error huge") << QByteArray(R"({"state":"Failed","error":1e300})") << "Failed";
    QTest::newRow("error not whole") << QByteArray(R"({"state":"Failed","error":4.5})") << "Failed";
    QTest::newRow("unknown state") << QByteArray(R"({"state":"Exploded"})") << "Failed";
    QTest::newRow("state a number") << QByteArray(R"({"state":5})") << "Failed";
    QTest::newRow("done but short") << QByteArray(R"({"state":"Done","totalBytes":"10","receivedBytes":"4"})")
                                    << "Failed";
    QTest::newRow("done of unknown size") << QByteArray(R"({"state":"Done","totalBytes":"-1"})") << "Failed";
    QTest::newRow("negative size") << QByteArray(R"({"totalBytes":"-5"})") << "Failed";
    QTest::newRow("huge size") << QByteArray(R"({"totalBytes":"99999999999999999999"})") << "Failed";
    QTest::newRow("size a number") << QByteArray(R"({"receivedBytes":12})") << "Failed";
    QTest::newRow("received beyond size") << QByteArray(R"({"totalBytes":"10","receivedBytes":"11"})") << "Failed";
    QTest::newRow("negative received") << QByteArray(R"({"receivedBytes":"-3"})") << "Failed";
    QTest::newRow("negative speed limit") << QByteArray(R"({"speedLimit":"-1"})") << "Failed";
    QTest::newRow("unknown policy") << QByteArray(R"({"policy":"clobber"})") << "Failed";
    QTest::newRow("adopted file without resume") << QByteArray(R"({"partIsUsersFile":true})") << "Failed";
    QTest::newRow("sha256 not hex") << QByteArray(R"({"sha256":"zz"})") << "Failed";
    QTest::newRow("expected sha256 cut") << QByteArray(R"({"expectedSha256":"abcd"})") << "dropped";
    QTest::newRow("no url") << QByteArray(R"({"url":null})") << "dropped";
    QTest::newRow("url a number") << QByteArray(R"({"url":7})") << "dropped";
    QTest::newRow("no path") << QByteArray(R"({"localPath":null})") << "dropped";
    QTest::newRow("relative path") << QByteArray(R"({"localPath":"a.bin"})") << "dropped";
    QTest::newRow("path with ..") << QByteArray(R"({"localPath":"/tmp/x/../../etc/passwd"})") << "dropped";
    QTest::newRow("path to stdout") << QByteArray(R"({"localPath":"-"})") << "dropped";
    QTest::newRow("path to a device") << QByteArray(R"({"localPath":"/dev/null"})") << "dropped";
    QTest::newRow("not an object") << QByteArray("42") << "dropped";
}

// A damaged entry of the saved queue is dropped or comes back Failed saying so (never Done, never with an
// error kind that does not exist); the entries around it come back as saved.
void TestClientSavedQueue::damagedQueueEntry()
{
    QFETCH(QByteArray, fields);
    QFETCH(QString, outcome);
    QTemporaryDir dir;
    const FerryUrl url = *FerryUrl::parse(QStringLiteral("ferry://127.0.0.1:1/a.bin"));
    const QJsonObject neighbour =
        DownloadJob(url, dir.filePath(QStringLiteral("b.bin")), ExistingFilePolicy::Rename).toJson();
    QJsonObject paused = neighbour;
    paused[QLatin1String("localPath")] = dir.filePath(QStringLiteral("a.bin"));
    paused[QLatin1String("state")] = QStringLiteral("Paused");
    const QJsonDocument changes = QJsonDocument::fromJson("[" + fields + "]");
    QJsonValue entry = changes.array().at(0);
    if (entry.isObject()) {
        const QJsonObject object = entry.toObject();
        for (auto it = object.begin(); it != object.end(); ++it) {
            if (it.value().isNull())
                paused.remove(it.key());
            else
                paused[it.key()] = it.value();
        }
        entry = paused;
    }
    DownloadQueue queue; // without an event loop nothing starts: only what was restored is looked at
    const QStringList dropped = queue.restoreState(QJsonArray{neighbour, entry, neighbour});
    QCOMPARE(dropped.size(), outcome == QLatin1String("dropped") ? 1 : 0);
    QCOMPARE(queue.jobAt(0)->localPath(), dir.filePath(QStringLiteral("b.bin")));
    QCOMPARE(queue.jobAt(queue.count() - 1)->localPath(), dir.filePath(QStringLiteral("b.bin")));
    if (outcome == QLatin1String("dropped")) {
        QCOMPARE(queue.count(), 2);
        return;
    }
    QCOMPARE(queue.count(), 3);
    const DownloadJob *job = queue.jobAt(1);
    QCOMPARE(QString::fromLatin1(QMetaEnum::fromType<DownloadJob::State>().valueToKey(int(job->state()))), outcome);
    if (outcome == QLatin1String("Failed")) {
        QCOMPARE(job->error(), ErrorKind::LocalError);
        QVERIFY2(job->errorString().contains(QLatin1String("damaged")), qPrintable(job->errorString()));
    }
    QVERIFY(!QFile::exists(job->localPath())); // restoring writes nothing
}

void TestClientSavedQueue::damagedQueueText_data()
{
    const QByteArray two = R"([{"url":"ferry://h/a","n":{"x":1}},{"url":"ferry://h/b"}])";
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<int>("entries");
    QTest::addColumn<bool>("damaged");

    QTest::newRow("intact") << two << 2 << false;
    QTest::newRow("empty") << QByteArray() << 0 << false;
    QTest::newRow("cut in the last entry") << two.left(two.size() - 8) << 1 << true;
    QTest::newRow("cut after the last entry") << two.left(two.size() - 1) << 2 << true;
    QTest::newRow("cut in a nested object") << two.left(two.indexOf("1}")) << 0 << true;
    QTest::newRow("an object, not a list") << QByteArray(R"({"url":"ferry://h/a"})") << 0 << true;
    QTest::newRow("garbage") << QByteArray("\x01[}}") << 0 << true;
}

// A queue file cut short keeps the entries before the cut, and says that it lost something.
void TestClientSavedQueue::damagedQueueText()
{
    QFETCH(QByteArray, text);
    QFETCH(int, entries);
    QFETCH(bool, damaged);
    QString damage;
    QCOMPARE(readSavedQueue(text, &damage).size(), entries);
    QCOMPARE(!damage.isEmpty(), damaged);
}

QTEST_GUILESS_MAIN(TestClientSavedQueue)
#include "tst_clientsavedqueue.moc"
