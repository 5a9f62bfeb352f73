// Ferry Downloader's models against a real server: the lazy remote listing, its sorting
// and filtering, the transfer table; all under QAbstractItemModelTester.
#include "guitesthelpers.h"
#include "serverprocess.h"
#include "testtree.h"

#include "appinfo.h"
#include "connectbar.h"
#include "preferencesdialog.h"
#include "remotemodel.h"
#include "remoteorder.h"
#include "remotesortmodel.h"
#include "settings.h"
#include "singleinstance.h"
#include "transfermodel.h"

#include "client/downloadjob.h"
#include "client/downloadqueue.h"
#include "client/session.h"

#include <QAbstractItemModelTester>
#include <atomic>
#include <thread>
#include <QComboBox>
#include <QElapsedTimer>
#include <QScopeGuard>
#include <QFile>
#include <QImage>
#include <QLineEdit>
#include <QLocale>
#include <QSettings>
#include <QSpinBox>
#include <QStandardPaths>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>

using namespace ferry;
using gui::RemoteModel;
using gui::TransferModel;

class TestDownloaderModels : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void parseServer_data();
    void parseServer();
    void recentServersAreOrderedAndCapped();
    void desktopEntryMatchesTheApp();
    void preferencesAreSaved();
    void secondLaunchHandsOverItsLinks();
    void hugeFolderLoadsLazily();
    void remoteModelPassesTester();
    void naturalOrder_data();
    void naturalOrder();
    void sortsFoldersFirstNaturally();
    void filtersByName();
    void listingErrorIsReported();
    void transferModelFollowsQueue();
    void queuedRowShowsKnownSize();
    void transferModelThrottlesRepaints();

private:
    // In memory: 100,000 files on a disk take minutes to make and remove on a loaded machine.
    ferrytest::TestTree m_tree{ferrytest::memoryBackedTempDir()};
    std::unique_ptr<ServerProcess> m_server;
};

void TestDownloaderModels::initTestCase()
{
    if (ServerProcess::defaultProgram().isEmpty())
        QSKIP("ferry-server is not built");
    QVERIFY(m_tree.isValid());
    QVERIFY(m_tree.addManyFiles(QStringLiteral("many"), 100000, QStringLiteral("entry-")));
    QVERIFY(m_tree.addManyFiles(QStringLiteral("some"), 1234, QStringLiteral("e")));
    QVERIFY(!m_tree.addDir(QStringLiteral("mixed/b")).isEmpty());
    QVERIFY(!m_tree.addDir(QStringLiteral("mixed/A")).isEmpty());
    QVERIFY(!m_tree.addFile(QStringLiteral("mixed/file10"), 10, 1).isEmpty());
    QVERIFY(!m_tree.addFile(QStringLiteral("mixed/file2"), 300, 2).isEmpty());
    QVERIFY(!m_tree.addFile(QStringLiteral("mixed/file1"), 20, 3).isEmpty());
    for (int i = 0; i < 5; ++i)
        QVERIFY(!m_tree.addFile(QStringLiteral("five/f%1.bin").arg(i), 200000 + i, 10 + i).isEmpty());
    m_server = std::make_unique<ServerProcess>(m_tree.root(),
                                               QStringList{QStringLiteral("--workers"), QStringLiteral("4")});
    QVERIFY2(m_server->start(), qPrintable(m_server->diagnostics()));
}

void TestDownloaderModels::parseServer_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");
    QTest::addColumn<QString>("path");
    QTest::newRow("host:port") << "127.0.0.1:5000" << true << "127.0.0.1" << 5000 << "";
    QTest::newRow("default port") << "example.org" << true << "example.org" << 4646 << "";
    QTest::newRow("ipv6") << "[::1]:7000" << true << "::1" << 7000 << "";
    QTest::newRow("url with folder") << "ferry://h:81/pub/iso/" << true << "h" << 81 << "pub/iso";
    QTest::newRow("spaces trimmed") << "  h:82  " << true << "h" << 82 << "";
    QTest::newRow("empty") << "" << false << "" << 0 << "";
    QTest::newRow("bad port") << "h:99999" << false << "" << 0 << "";
}

void TestDownloaderModels::parseServer()
{
    QFETCH(QString, text);
    QFETCH(bool, valid);
    QString error;
    const auto url = gui::ConnectBar::parseServer(text, &error);
    QCOMPARE(url.has_value(), valid);
    if (!valid) {
        QVERIFY(!error.isEmpty());
        return;
    }
    QTEST(url->host(), "host");
    QTEST(int(url->port()), "port");
    QTEST(url->path(), "path");
}

void TestDownloaderModels::recentServersAreOrderedAndCapped()
{
    QTemporaryDir dir;
    const QString ini = dir.filePath(QStringLiteral("s.ini"));
    {
        gui::Settings settings(ini);
        for (int i = 0; i < gui::Settings::MaxRecentServers + 3; ++i)
            settings.addRecentServer(QStringLiteral("h%1:1").arg(i));
        settings.addRecentServer(QStringLiteral("h5:1")); // again: moves to the front
    }
    gui::Settings settings(ini);
    const QStringList recent = settings.recentServers();
    QCOMPARE(recent.size(), gui::Settings::MaxRecentServers);
    QCOMPARE(recent.first(), QStringLiteral("h5:1"));
    QCOMPARE(recent.count(QStringLiteral("h5:1")), 1);
    QCOMPARE(recent.at(1), QStringLiteral("h12:1"));
}

// The installed pieces must agree: desktop id, icon, scheme handler, binary name.
void TestDownloaderModels::desktopEntryMatchesTheApp()
{
    const QString resources = QStringLiteral(FERRY_SOURCE_DIR "/resources/");
    const QString id = QLatin1String(gui::DesktopId);
    QSettings entry(resources + id + QStringLiteral(".desktop"), QSettings::IniFormat);
    QCOMPARE(entry.status(), QSettings::NoError);
    entry.beginGroup(QStringLiteral("Desktop Entry"));
    QCOMPARE(entry.value(QStringLiteral("Type")).toString(), QStringLiteral("Application"));
    QCOMPARE(entry.value(QStringLiteral("Icon")).toString(), id);
    QVERIFY(entry.value(QStringLiteral("Exec")).toString().startsWith(QStringLiteral("ferry-client %U")));
    const QString mime = QStringLiteral("x-scheme-handler/") + QLatin1String(gui::UrlScheme);
    QVERIFY(entry.value(QStringLiteral("MimeType")).toString().contains(mime));
    for (int size : {16, 32, 48, 64, 128, 256}) {
        const QString png =
            resources + QStringLiteral("icons/hicolor/%1x%1/apps/").arg(size) + id + QStringLiteral(".png");
        const QImage image(png);
        QVERIFY2(!image.isNull(), qPrintable(png));
        QCOMPARE(image.size(), QSize(size, size));
    }
    QFile xml(resources + id + QStringLiteral(".xml"));
    QVERIFY(xml.open(QIODevice::ReadOnly));
    QVERIFY(xml.readAll().contains(mime.toUtf8()));
}

void TestDownloaderModels::preferencesAreSaved()
{
    QTemporaryDir dir;
    gui::Settings settings(dir.filePath(QStringLiteral("s.ini")));
    QCOMPARE(settings.downloadFolder(), QStandardPaths::writableLocation(QStandardPaths::DownloadLocation));
    QCOMPARE(settings.maxConcurrent(), client::DownloadQueue::DefaultMaxConcurrent);
    gui::PreferencesDialog dialog(&settings);
    dialog.findChild<QLineEdit *>(QStringLiteral("folderEdit"))->setText(dir.path());
    dialog.findChild<QSpinBox *>(QStringLiteral("concurrentSpin"))->setValue(5);
    QCOMPARE(dialog.findChild<QSpinBox *>(QStringLiteral("speedLimitSpin"))->text(), QStringLiteral("No limit"));
    dialog.findChild<QSpinBox *>(QStringLiteral("speedLimitSpin"))->setValue(640);
    auto *policy = dialog.findChild<QComboBox *>(QStringLiteral("policyCombo"));
    policy->setCurrentIndex(policy->findData(int(client::ExistingFilePolicy::Overwrite)));
    dialog.accept();
    gui::Settings reread(dir.filePath(QStringLiteral("s.ini")));
    settings.sync();
    QCOMPARE(reread.downloadFolder(), dir.path());
    QCOMPARE(reread.maxConcurrent(), 5);
    QCOMPARE(reread.speedLimit(), qint64(640 * 1024));
    QCOMPARE(reread.existingFilePolicy(), client::ExistingFilePolicy::Overwrite);
}

void TestDownloaderModels::secondLaunchHandsOverItsLinks()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("instance.sock"));
    gui::SingleInstance first(path);
    QVERIFY(!first.sendToRunning({QStringLiteral("x")}, 500)); // nobody there yet
    QVERIFY2(first.listen(), qPrintable(first.errorString()));
    QSignalSpy received(&first, &gui::SingleInstance::argumentsReceived);
    const QStringList links{QStringLiteral("ferry://a:1/x/"), QStringLiteral("ferry://a:1/y.iso")};
    std::atomic<bool> handedOver = false;
    std::atomic<bool> done = false;
    // The second launch blocks until the first answers, so it runs on its own thread.
    std::thread second([&] {
        gui::SingleInstance launcher(path);
        handedOver = launcher.sendToRunning(links, 10000);
        done = true;
    });
    auto joinSecond = qScopeGuard([&] { second.join(); }); // also when a check below fails
    const bool arrived = received.wait(10000);
    QTRY_VERIFY_WITH_TIMEOUT(done, 15000); // the answer needs this thread's event loop
    QVERIFY(arrived);
    QVERIFY(handedOver);
    QCOMPARE(received.first().first().toStringList(), links);
}

// 100,000 entries arrive, but rows reach the model's users only when asked for.
void TestDownloaderModels::hugeFolderLoadsLazily()
{
    client::Session session;
    session.setServer(m_server->host(), m_server->port());
    RemoteModel model(&session); // no tester here: it fetches everything (see remoteModelPassesTester)
    QSignalSpy loaded(&model, &RemoteModel::loaded);
    model.setPath(QStringLiteral("many"));
    QVERIFY(model.isLoading());
    QVERIFY(loaded.wait(60000));
    QVERIFY2(model.errorString().isEmpty(), qPrintable(model.errorString()));
    QCOMPARE(model.loadedCount(), 100000);
    QCOMPARE(model.rowCount(), RemoteModel::BatchSize);
    QVERIFY(model.canFetchMore(QModelIndex()));

    QTreeView view; // a view asks for what it shows, not for everything
    gui::RemoteSortModel proxy;
    proxy.setSourceModel(&model);
    view.setModel(&proxy);
    view.setUniformRowHeights(true);
    view.resize(400, 300);
    view.show();
    QCoreApplication::processEvents();
    QVERIFY(model.rowCount() < 100000);

    const int before = model.rowCount();
    model.fetchMore(QModelIndex());
    QCOMPARE(model.rowCount(), before + RemoteModel::BatchSize);
    model.fetchAll();
    QCOMPARE(model.rowCount(), 100000);
    QVERIFY(!model.canFetchMore(QModelIndex()));
    QCOMPARE(proxy.rowCount(), 100000);
    QCOMPARE(model.pathOf(model.index(0, 0)), QStringLiteral("many/") + model.index(0, 0).data().toString());
}

// The tester calls fetchMore() from its slots; batches must still arrive one at a time.
void TestDownloaderModels::remoteModelPassesTester()
{
    client::Session session;
    session.setServer(m_server->host(), m_server->port());
    RemoteModel model(&session);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy loaded(&model, &RemoteModel::loaded);
    model.setPath(QStringLiteral("some"));
    QVERIFY(loaded.wait(30000));
    QTRY_COMPARE(model.rowCount(), 1234);
    model.setPath(QStringLiteral("mixed"));
    QVERIFY(loaded.wait(30000));
    QTRY_COMPARE(model.rowCount(), 5);
    model.clear();
    QCOMPARE(model.rowCount(), 0);
}

void TestDownloaderModels::naturalOrder_data()
{
    QTest::addColumn<QString>("a");
    QTest::addColumn<QString>("b");
    QTest::addColumn<int>("order");
    QTest::newRow("numbers by value") << "file2" << "file10" << -1;
    QTest::newRow("case ignored") << "Apple" << "banana" << -1;
    QTest::newRow("prefix first") << "disk" << "disk1" << -1;
    QTest::newRow("leading zeros") << "v007" << "v8" << -1;
    QTest::newRow("equal") << "same" << "same" << 0;
    QTest::newRow("text after number") << "a10b" << "a10a" << 1;
}

void TestDownloaderModels::naturalOrder()
{
    QFETCH(QString, a);
    QFETCH(QString, b);
    QFETCH(int, order);
    const gui::RemoteOrder collation;
    const int result = collation.compareNames(a, b);
    QCOMPARE((result > 0) - (result < 0), order);
    const int reverse = collation.compareNames(b, a);
    QCOMPARE((reverse > 0) - (reverse < 0), -order);
}

void TestDownloaderModels::sortsFoldersFirstNaturally()
{
    client::Session session;
    session.setServer(m_server->host(), m_server->port());
    RemoteModel model(&session);
    gui::RemoteSortModel proxy;
    proxy.setSourceModel(&model);
    QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy loaded(&model, &RemoteModel::loaded);
    model.setPath(QStringLiteral("mixed"));
    QVERIFY(loaded.wait(30000));

    proxy.sort(RemoteModel::NameColumn, Qt::AscendingOrder);
    QCOMPARE(guitest::names(&proxy), (QStringList{"A", "b", "file1", "file2", "file10"}));
    proxy.sort(RemoteModel::SizeColumn, Qt::AscendingOrder);
    QCOMPARE(guitest::names(&proxy).mid(2), (QStringList{"file10", "file1", "file2"}));
    proxy.sort(RemoteModel::NameColumn, Qt::DescendingOrder);
    QCOMPARE(guitest::names(&proxy), (QStringList{"b", "A", "file10", "file2", "file1"})); // folders stay first

    const QModelIndex file2 = guitest::rowNamed(&proxy, QStringLiteral("file2"));
    QCOMPARE(file2.siblingAtColumn(RemoteModel::SizeColumn).data().toString(), QLocale().formattedDataSize(300));
    QVERIFY(!file2.siblingAtColumn(RemoteModel::ModifiedColumn).data().toString().isEmpty());
    QVERIFY(!file2.data(Qt::DecorationRole).value<QIcon>().isNull());
    QVERIFY(guitest::rowNamed(&proxy, QStringLiteral("A")).data(RemoteModel::IsDirectoryRole).toBool());
}

void TestDownloaderModels::filtersByName()
{
    client::Session session;
    session.setServer(m_server->host(), m_server->port());
    RemoteModel model(&session);
    gui::RemoteSortModel proxy;
    proxy.setSourceModel(&model);
    proxy.sort(RemoteModel::NameColumn);
    QSignalSpy loaded(&model, &RemoteModel::loaded);
    model.setPath(QStringLiteral("mixed"));
    QVERIFY(loaded.wait(30000));
    proxy.setNameFilter(QStringLiteral("FILE1*"));
    QCOMPARE(guitest::names(&proxy), (QStringList{"file1", "file10"}));
    proxy.setNameFilter(QStringLiteral("le2"));
    QCOMPARE(guitest::names(&proxy), (QStringList{"file2"}));
    proxy.setNameFilter(QString());
    QCOMPARE(proxy.rowCount(), 5);
}

void TestDownloaderModels::listingErrorIsReported()
{
    client::Session session;
    session.setServer(m_server->host(), m_server->port());
    RemoteModel model(&session);
    QSignalSpy errors(&model, &RemoteModel::errorOccurred);
    model.setPath(QStringLiteral("no/such/folder"));
    QVERIFY(errors.wait(30000));
    QVERIFY(!model.isLoading());
    QVERIFY(!model.errorString().isEmpty());
    QCOMPARE(model.rowCount(), 0);
}

// Rows appear, move, finish and disappear in step with the queue; progress reaches 1000.
void TestDownloaderModels::transferModelFollowsQueue()
{
    QTemporaryDir destination;
    client::DownloadQueue queue;
    queue.setMaxConcurrent(2);
    TransferModel model(&queue);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QList<client::DownloadJob *> jobs;
    for (int i = 0; i < 5; ++i) {
        const client::FerryUrl url(m_server->host(), m_server->port(), QStringLiteral("five/f%1.bin").arg(i));
        jobs << queue.addFile(url, destination.path());
    }
    QCOMPARE(model.rowCount(), 5);
    queue.move(jobs.at(4)->id(), 0);
    QCOMPARE(model.index(0, TransferModel::NameColumn).data().toString(), QStringLiteral("f4.bin"));
    queue.remove(jobs.at(2)->id());
    QCOMPARE(model.rowCount(), 4);
    QTRY_VERIFY_WITH_TIMEOUT(queue.isIdle(), 60000);
    QTRY_COMPARE_WITH_TIMEOUT(model.totals().active, 0, 5000);
    for (int row = 0; row < model.rowCount(); ++row) {
        const QModelIndex index = model.index(row, TransferModel::ProgressColumn);
        QTRY_COMPARE(index.data(TransferModel::ProgressRole).toInt(), 1000);
        // The test server offers manifests: every download is verified (tst_downloaderverified).
        QVERIFY(model.index(row, TransferModel::StatusColumn).data().toString().startsWith(QLatin1String("Verified")));
        QVERIFY(!model.index(row, TransferModel::SizeColumn).data().toString().isEmpty());
    }
    queue.clearFinished();
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(model.totals().remainingBytes, 0);
}

// A file picked from a listing has a known size: its row shows it, with an empty bar at 0 %,
// from the moment it is queued. A file added without one shows neither until the server says,
// and the server's size wins over a stale listing's.
void TestDownloaderModels::queuedRowShowsKnownSize()
{
    QTemporaryDir destination;
    client::DownloadQueue queue;
    queue.setMaxConcurrent(1);
    TransferModel model(&queue);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    const auto url = [this](int i) {
        return client::FerryUrl(m_server->host(), m_server->port(), QStringLiteral("five/f%1.bin").arg(i));
    };
    queue.addFile(url(0), destination.path(), 200000);
    queue.addFile(url(1), destination.path());
    queue.addFile(url(2), destination.path(), 5); // the listing was stale: the file is 200002 bytes
    // Nothing has started yet: every row is as it was queued.
    for (int row = 0; row < 3; ++row)
        QCOMPARE(queue.jobAt(row)->state(), client::DownloadJob::State::Queued);
    const QLocale locale;
    QCOMPARE(model.index(0, TransferModel::SizeColumn).data().toString(), locale.formattedDataSize(200000));
    QCOMPARE(model.index(0, TransferModel::ProgressColumn).data(TransferModel::ProgressRole).toInt(), 0);
    QCOMPARE(model.index(0, TransferModel::ProgressColumn).data().toString(), QStringLiteral("0.0%"));
    QCOMPARE(model.index(1, TransferModel::SizeColumn).data().toString(), QString());
    QCOMPARE(model.index(1, TransferModel::ProgressColumn).data(TransferModel::ProgressRole).toInt(), -1);
    QCOMPARE(model.index(1, TransferModel::ProgressColumn).data().toString(), QString());
    QCOMPARE(model.totals().remainingBytes, 200000 + 5);

    QTRY_VERIFY_WITH_TIMEOUT(queue.isIdle(), 60000);
    for (int row = 0; row < 3; ++row)
        QVERIFY2(queue.jobAt(row)->state() == client::DownloadJob::State::Done,
                 qPrintable(queue.jobAt(row)->errorString()));
    QCOMPARE(model.index(1, TransferModel::SizeColumn).data().toString(), locale.formattedDataSize(200001));
    QCOMPARE(model.index(2, TransferModel::SizeColumn).data().toString(), locale.formattedDataSize(200002));
    // A size from a listing is for display only: it never reaches a started job.
    QVERIFY(!queue.jobAt(2)->setKnownSize(7));
    QCOMPARE(queue.jobAt(2)->totalBytes(), 200002);
}

// Job signals only mark rows dirty: a burst of them, here 40 jobs added at once and run to the end
// (hundreds of state, status and progress signals), repaints at most once per RefreshIntervalMs.
void TestDownloaderModels::transferModelThrottlesRepaints()
{
    QTemporaryDir destination;
    client::DownloadQueue queue;
    queue.setMaxConcurrent(4);
    TransferModel model(&queue);
    QElapsedTimer clock;
    clock.start();
    int jobSignals = 0;
    const auto count = [&jobSignals] { ++jobSignals; };
    for (int i = 0; i < 40; ++i) {
        const client::FerryUrl url(m_server->host(), m_server->port(), QStringLiteral("five/f%1.bin").arg(i % 5));
        client::DownloadJob *job = queue.addFileAs(url, destination.filePath(QStringLiteral("copy%1.bin").arg(i)));
        ++jobSignals; // jobAdded
        connect(job, &client::DownloadJob::stateChanged, &model, count);
        connect(job, &client::DownloadJob::statusTextChanged, &model, count);
        connect(job, &client::DownloadJob::progressChanged, &model, count);
    }
    QCOMPARE(model.refreshCount(), 0); // the adds themselves repainted nothing
    QTRY_VERIFY_WITH_TIMEOUT(queue.isIdle(), 60000);
    QTRY_COMPARE_WITH_TIMEOUT(model.totals().active, 0, 5000);
    for (client::DownloadJob *job : queue.jobs())
        QVERIFY2(job->state() == client::DownloadJob::State::Done, qPrintable(job->errorString()));

    // The last changes are repainted one interval later, however fast the downloads were.
    QTRY_VERIFY_WITH_TIMEOUT(model.refreshCount() > 0, 5000);
    // A timer may fire up to 5 % early (Qt::CoarseTimer); one refresh of slack for the last run.
    const qint64 elapsed = clock.elapsed();
    const qint64 ceiling = 2 + elapsed / (TransferModel::RefreshIntervalMs * 95 / 100);
    QVERIFY2(model.refreshCount() <= ceiling, qPrintable(QStringLiteral("%1 refreshes in %2 ms for %3 job signals")
                                                             .arg(model.refreshCount()).arg(elapsed).arg(jobSignals)));
    // Only a burst well above the ceiling shows the throttle at work.
    QVERIFY2(jobSignals > 3 * ceiling,
             qPrintable(QStringLiteral("%1 job signals, ceiling %2").arg(jobSignals).arg(ceiling)));
}

QTEST_MAIN(TestDownloaderModels)
#include "tst_downloadermodels.moc"
