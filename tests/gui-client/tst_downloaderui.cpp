// Ferry Downloader driven through its window (offscreen) against a real server:
// connect, browse, pick, download, pause, resume, quit and restart, lose the server.
#include "guitesthelpers.h"
#include "serverprocess.h"
#include "testtree.h"

#include "connectbar.h"
#include "mainwindow.h"
#include "remotebrowser.h"
#include "remotemodel.h"
#include "serverlink.h"
#include "settings.h"
#include "transfermodel.h"
#include "transferview.h"

#include "client/downloadjob.h"
#include "client/downloadqueue.h"
#include "client/ferryurl.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QComboBox>
#include <QDesktopServices>
#include <QFile>
#include <QHeaderView>
#include <QSplitter>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QToolBar>
#include <QTreeView>
#include <QUrl>

#include <memory>

using namespace ferry;
using client::DownloadJob;
using gui::MainWindow;
using gui::TransferModel;

// Stands in for the desktop: records the URLs the app asks it to open instead of launching anything.
class UrlCatcher : public QObject
{
    Q_OBJECT
public:
    QList<QUrl> urls;
public slots:
    void open(const QUrl &url) { urls.append(url); }
};

class TestDownloaderUi : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void downloadThreeFilesThroughUi();
    void pickedFilesShowTheirSizeWhileQueued();
    void pauseResumeQuitAndResumeAfterRestart();
    void lostServerShowsInPlaceAndDownloadResumesByItself();
    void layoutIsRemembered();
    void urlOpensFolderAndDownloadsFile();
    void openFileAndFolderOfFinishedRow();

private:
    std::unique_ptr<MainWindow> newWindow();
    void connectThroughUi(MainWindow *window, const ServerProcess &server);
    void openFolder(MainWindow *window, const QString &name);
    void clickRow(QTreeView *view, const QModelIndex &index, Qt::KeyboardModifiers modifiers = {});
    void doubleClickRow(QTreeView *view, const QModelIndex &index);
    void trigger(MainWindow *window, QAction *action);
    bool sameAsServed(const QString &relative, const QString &local);

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<ferrytest::TestTree> m_tree;
    std::unique_ptr<gui::Settings> m_settings;
    QString m_downloads;
};

void TestDownloaderUi::init()
{
    if (ServerProcess::defaultProgram().isEmpty())
        QSKIP("ferry-server is not built");
    m_dir = std::make_unique<QTemporaryDir>();
    m_tree = std::make_unique<ferrytest::TestTree>();
    QVERIFY(m_dir->isValid() && m_tree->isValid());
    m_downloads = m_dir->filePath(QStringLiteral("downloads"));
    m_settings = std::make_unique<gui::Settings>(m_dir->filePath(QStringLiteral("downloader.ini")));
    m_settings->setDownloadFolder(m_downloads);
}

std::unique_ptr<MainWindow> TestDownloaderUi::newWindow()
{
    return guitest::shownWindow(m_settings.get(), guitest::Shown::Active);
}

void TestDownloaderUi::connectThroughUi(MainWindow *window, const ServerProcess &server)
{
    auto *field = window->findChild<QComboBox *>(QStringLiteral("serverField"));
    auto *button = window->findChild<QPushButton *>(QStringLiteral("connectButton"));
    QVERIFY(field && button);
    field->lineEdit()->clear();
    QTest::keyClicks(field->lineEdit(), QStringLiteral("%1:%2").arg(server.host()).arg(server.port()));
    QTest::mouseClick(button, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(window->link()->status(), gui::ServerLink::Status::Connected, 30000);
    QVERIFY(window->connectBar()->stateText().contains(QString::number(server.port())));
    QTRY_VERIFY_WITH_TIMEOUT(!window->browser()->model()->isLoading(), 30000);
}

void TestDownloaderUi::clickRow(QTreeView *view, const QModelIndex &index, Qt::KeyboardModifiers modifiers)
{
    view->scrollTo(index);
    QTest::mouseClick(view->viewport(), Qt::LeftButton, modifiers, view->visualRect(index).center());
}

// A press first, as a real double click has: the view activates only the row it saw pressed.
void TestDownloaderUi::doubleClickRow(QTreeView *view, const QModelIndex &index)
{
    clickRow(view, index);
    QTest::mouseDClick(view->viewport(), Qt::LeftButton, {}, view->visualRect(index).center());
}

void TestDownloaderUi::openFolder(MainWindow *window, const QString &name)
{
    QTreeView *view = window->browser()->view();
    const QModelIndex folder = guitest::rowNamed(view->model(), name);
    QVERIFY2(folder.isValid(), qPrintable(name));
    doubleClickRow(view, folder);
    QTRY_COMPARE(window->browser()->path(), name);
    QTRY_VERIFY_WITH_TIMEOUT(!window->browser()->model()->isLoading(), 30000);
}

// Through the toolbar button, as a user would press it.
void TestDownloaderUi::trigger(MainWindow *window, QAction *action)
{
    QVERIFY(action->isEnabled());
    auto *toolBar = window->findChild<QToolBar *>(QStringLiteral("transferToolBar"));
    QWidget *button = toolBar->widgetForAction(action);
    QVERIFY(button);
    QTest::mouseClick(button, Qt::LeftButton);
}

bool TestDownloaderUi::sameAsServed(const QString &relative, const QString &local)
{
    QString why;
    const bool same = ferrytest::sameContent(m_tree->path(relative), local, &why);
    if (!same)
        qWarning("%s: %s", qPrintable(local), qPrintable(why));
    return same;
}

void TestDownloaderUi::downloadThreeFilesThroughUi()
{
    for (int i = 1; i <= 4; ++i)
        QVERIFY(!m_tree->addFile(QStringLiteral("media/clip%1.bin").arg(i), 3 * 1024 * 1024 + i, 100 + i).isEmpty());
    QVERIFY(!m_tree->addFile(QStringLiteral("media/sub/deeper/inner.bin"), 300000, 200).isEmpty());
    // 2 MiB/s per connection: slow enough that progress is seen to move.
    ServerProcess server(m_tree->root(), {"--workers", "4", "--rate-limit", "2097152"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    auto window = newWindow();
    QAbstractItemModelTester remoteTester(window->browser()->model(),
                                          QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester transferTester(window->transferModel(),
                                            QAbstractItemModelTester::FailureReportingMode::QtTest);
    connectThroughUi(window.get(), server);
    openFolder(window.get(), QStringLiteral("media"));

    QTreeView *view = window->browser()->view();
    const QStringList picked{"clip1.bin", "clip2.bin", "clip4.bin"};
    clickRow(view, guitest::rowNamed(view->model(), picked.at(0)));
    for (const QString &name : picked.mid(1))
        clickRow(view, guitest::rowNamed(view->model(), name), Qt::ControlModifier);
    QCOMPARE(view->selectionModel()->selectedRows().size(), 3);
    QTest::mouseClick(window->findChild<QPushButton *>(QStringLiteral("downloadButton")), Qt::LeftButton);

    TransferModel *model = window->transferModel();
    QCOMPARE(model->rowCount(), 3);
    // The bars advance: some row is seen part-way, then all are full.
    bool sawPartial = false;
    QList<int> last(3, -1);
    bool neverWentBack = true;
    auto sample = [&] {
        for (int row = 0; row < 3; ++row) {
            const int value =
                model->index(row, TransferModel::ProgressColumn).data(TransferModel::ProgressRole).toInt();
            neverWentBack = neverWentBack && value >= last[row];
            last[row] = value;
            sawPartial = sawPartial || (value > 0 && value < 1000);
        }
        return last == QList<int>(3, 1000);
    };
    QTRY_VERIFY_WITH_TIMEOUT(sample(), 60000);
    QVERIFY(sawPartial);
    QVERIFY(neverWentBack);
    // Every byte is in at 100 %; a verified file is renamed into place once its last chunk is checked.
    QTRY_VERIFY_WITH_TIMEOUT(window->queue()->isIdle(), 30000);
    for (const QString &name : picked) {
        QVERIFY(sameAsServed(QStringLiteral("media/") + name, m_downloads + u'/' + name));
    }
    QVERIFY(!QFile::exists(m_downloads + QStringLiteral("/clip3.bin")));
    const QLabel *totals = window->findChild<QLabel *>(QStringLiteral("totalsLabel"));
    QTRY_COMPARE(totals->text(), QStringLiteral("Nothing downloading")); // no "0 bytes/s", no "0 bytes left"

    // A folder downloads recursively, its tree recreated under the download folder.
    clickRow(view, guitest::rowNamed(view->model(), QStringLiteral("sub")));
    QTest::mouseClick(window->findChild<QPushButton *>(QStringLiteral("downloadButton")), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 4, 30000);
    QTRY_VERIFY_WITH_TIMEOUT(window->queue()->isIdle(), 30000);
    QVERIFY(sameAsServed(QStringLiteral("media/sub/deeper/inner.bin"),
                         m_downloads + QStringLiteral("/sub/deeper/inner.bin")));
}

// The listing already knows each picked file's size: the transfer list shows it from the
// moment the file is queued. A picked folder adds rows only once it has been listed.
void TestDownloaderUi::pickedFilesShowTheirSizeWhileQueued()
{
    // 256 KiB/s and 1 MiB or more each: none is done before the checks below.
    const QList<qint64> sizes{3 * 1024 * 1024, 2 * 1024 * 1024 + 1, 1024 * 1024 + 2};
    for (int i = 0; i < sizes.size(); ++i)
        QVERIFY(!m_tree->addFile(QStringLiteral("media/clip%1.bin").arg(i), sizes.at(i), 30 + i).isEmpty());
    QVERIFY(!m_tree->addFile(QStringLiteral("media/sub/inner.bin"), 4000, 40).isEmpty());
    ServerProcess server(m_tree->root(), {"--workers", "2", "--rate-limit", "262144"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    m_settings->setMaxConcurrent(1); // one transfer at a time: the others stay queued
    auto window = newWindow();
    QAbstractItemModelTester tester(window->transferModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    connectThroughUi(window.get(), server);
    openFolder(window.get(), QStringLiteral("media"));

    QTreeView *view = window->browser()->view();
    clickRow(view, guitest::rowNamed(view->model(), QStringLiteral("clip0.bin")));
    for (const QString &name : {QStringLiteral("clip1.bin"), QStringLiteral("clip2.bin"), QStringLiteral("sub")})
        clickRow(view, guitest::rowNamed(view->model(), name), Qt::ControlModifier);
    QCOMPARE(view->selectionModel()->selectedRows().size(), 4);
    QTest::mouseClick(window->findChild<QPushButton *>(QStringLiteral("downloadButton")), Qt::LeftButton);

    TransferModel *model = window->transferModel();
    QCOMPARE(model->rowCount(), 3); // the folder is still being listed
    const QLocale locale;
    for (int row = 0; row < 3; ++row) {
        const QString name = model->index(row, TransferModel::NameColumn).data().toString();
        const qint64 size = sizes.at(QStringView(name).mid(4, 1).toInt());
        QCOMPARE(model->index(row, TransferModel::SizeColumn).data().toString(), locale.formattedDataSize(size));
        QCOMPARE(model->index(row, TransferModel::ProgressColumn).data(TransferModel::ProgressRole).toInt(), 0);
    }
    // Still so while one of them downloads and the others wait their turn.
    QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 4, 30000);
    QTRY_COMPARE_WITH_TIMEOUT(model->totals().active, 1, 30000);
    int waiting = 0;
    for (int row = 0; row < 3; ++row) {
        if (window->queue()->jobAt(row)->state() != DownloadJob::State::Queued)
            continue;
        ++waiting;
        QVERIFY(!model->index(row, TransferModel::SizeColumn).data().toString().isEmpty());
    }
    QCOMPARE(waiting, 2);
    // The folder's file, queued from its listing, shows the size the listing gave.
    QCOMPARE(model->index(3, TransferModel::NameColumn).data().toString(), QStringLiteral("inner.bin"));
    QCOMPARE(model->index(3, TransferModel::SizeColumn).data().toString(), locale.formattedDataSize(4000));
    window->queue()->pauseAll(); // nothing more to see: the test need not wait for the transfers
}

void TestDownloaderUi::pauseResumeQuitAndResumeAfterRestart()
{
    QVERIFY(!m_tree->addFile(QStringLiteral("big.bin"), 12 * 1024 * 1024, 7).isEmpty());
    ServerProcess server(m_tree->root(), {"--workers", "2", "--rate-limit", "1048576"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    const QString local = m_downloads + QStringLiteral("/big.bin");
    {
        auto window = newWindow();
        // Byte-granular resume, as from a server without manifests (a verified download resumes
        // by whole chunks: tst_clientverified). The restored job keeps the setting.
        window->queue()->setVerify(false);
        connectThroughUi(window.get(), server);
        QTreeView *view = window->browser()->view();
        const QModelIndex file = guitest::rowNamed(view->model(), QStringLiteral("big.bin"));
        doubleClickRow(view, file); // a file: download it
        TransferModel *model = window->transferModel();
        QTRY_COMPARE(model->rowCount(), 1);
        DownloadJob *job = window->queue()->jobAt(0);
        QTRY_VERIFY_WITH_TIMEOUT(job->receivedBytes() > 0, 30000);

        QTreeView *transfers = window->transferView()->view();
        clickRow(transfers, model->index(0, 0));
        trigger(window.get(), window->transferView()->pauseAction());
        QCOMPARE(job->state(), DownloadJob::State::Paused);
        QCOMPARE(model->index(0, TransferModel::StatusColumn).data().toString(), QStringLiteral("Paused"));
        QVERIFY(QFile::exists(job->partPath()));
        const qint64 pausedAt = job->receivedBytes();

        QVERIFY(QTest::qWaitForWindowActive(window.get()));
        transfers->setFocus();
        QTest::keyClick(transfers, Qt::Key_S, Qt::ControlModifier); // Resume's shortcut
        QTRY_COMPARE_WITH_TIMEOUT(job->state(), DownloadJob::State::Transferring, 30000);
        QCOMPARE(job->resumedFrom(), pausedAt);
        QTRY_VERIFY_WITH_TIMEOUT(job->receivedBytes() > pausedAt, 30000);
        QVERIFY2(job->receivedBytes() < job->totalBytes(), "the file must still be partial when the app quits");
    } // the window goes away mid-download, as when the app quits
    QVERIFY(QFile::exists(local + QStringLiteral(".part")));
    QVERIFY(!QFile::exists(local));
    const qint64 partial = QFileInfo(local + QStringLiteral(".part")).size();
    QVERIFY(partial > 0);

    m_settings.reset(); // a new start reads everything back from the file
    m_settings = std::make_unique<gui::Settings>(m_dir->filePath(QStringLiteral("downloader.ini")));
    auto window = newWindow();
    QCOMPARE(window->transferModel()->rowCount(), 1);
    DownloadJob *job = window->queue()->jobAt(0);
    QTRY_COMPARE_WITH_TIMEOUT(job->state(), DownloadJob::State::Done, 60000);
    QVERIFY2(job->resumedFrom() >= partial, qPrintable(QString::number(job->resumedFrom())));
    QVERIFY(sameAsServed(QStringLiteral("big.bin"), local));
    QVERIFY(!QFile::exists(local + QStringLiteral(".part")));
}

// The server goes away mid-download: the bar says so, the row counts down to its next
// try, and nothing gives up; once the server is back the download resumes by itself.
void TestDownloaderUi::lostServerShowsInPlaceAndDownloadResumesByItself()
{
    QVERIFY(!m_tree->addFile(QStringLiteral("iso/disk.img"), 8 * 1024 * 1024, 9).isEmpty());
    auto server = std::make_unique<ServerProcess>(m_tree->root(),
                                                  QStringList{"--workers", "2", "--rate-limit", "1048576"});
    QVERIFY2(server->start(), qPrintable(server->diagnostics()));
    const quint16 port = server->port();
    auto window = newWindow();
    client::RetryPolicy quick; // the Downloader's limits, with short delays so the test is quick
    quick.baseBackoffMs = 100;
    quick.maxBackoffMs = 1000;
    window->queue()->setRetryPolicy(quick);
    window->queue()->setVerify(false); // resumes byte by byte (verified: tst_clientverified)
    connectThroughUi(window.get(), *server);
    openFolder(window.get(), QStringLiteral("iso"));
    QTreeView *view = window->browser()->view();
    clickRow(view, guitest::rowNamed(view->model(), QStringLiteral("disk.img")));
    QTest::mouseClick(window->findChild<QPushButton *>(QStringLiteral("downloadButton")), Qt::LeftButton);
    QTRY_COMPARE(window->transferModel()->rowCount(), 1);
    DownloadJob *job = window->queue()->jobAt(0);
    QTRY_VERIFY_WITH_TIMEOUT(job->receivedBytes() > 0, 30000);

    server->kill();
    QTRY_COMPARE_WITH_TIMEOUT(window->link()->status(), gui::ServerLink::Status::Lost, 30000);
    QVERIFY(window->connectBar()->stateText().startsWith(QStringLiteral("Connection lost")));
    const QModelIndex status = window->transferModel()->index(0, TransferModel::StatusColumn);
    QTRY_VERIFY_WITH_TIMEOUT(status.data().toString().startsWith(QStringLiteral("Waiting for server (next try in")),
                             10000);
    const int attemptsAtLoss = job->attempts();
    QTRY_VERIFY_WITH_TIMEOUT(job->attempts() >= attemptsAtLoss + 8, 30000); // more than any old limit
    QVERIFY2(job->state() == DownloadJob::State::Connecting, qPrintable(status.data().toString()));
    QVERIFY(QFile::exists(job->partPath()));

    server = std::make_unique<ServerProcess>(
        m_tree->root(), QStringList{"--workers", "2", "--listen", QStringLiteral("127.0.0.1:%1").arg(port)});
    QVERIFY2(server->start(), qPrintable(server->diagnostics()));
    QTRY_COMPARE_WITH_TIMEOUT(job->state(), DownloadJob::State::Done, 60000);
    QVERIFY(job->resumedFrom() > 0);
    QVERIFY(sameAsServed(QStringLiteral("iso/disk.img"), m_downloads + QStringLiteral("/disk.img")));
    QTRY_COMPARE_WITH_TIMEOUT(window->link()->status(), gui::ServerLink::Status::Connected, 30000);

    // Connecting again to the same server keeps the connection and says so.
    QTest::mouseClick(window->findChild<QPushButton *>(QStringLiteral("connectButton")), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(!window->browser()->model()->isLoading(), 30000);
    QCOMPARE(window->link()->status(), gui::ServerLink::Status::Connected);
    QVERIFY(window->connectBar()->stateText().startsWith(QStringLiteral("Connected")));
}

void TestDownloaderUi::layoutIsRemembered()
{
    int nameWidth = 0;
    QList<int> sizes;
    {
        auto window = newWindow();
        window->resize(900, 640);
        QHeaderView *header = window->transferView()->view()->header();
        header->resizeSection(TransferModel::NameColumn, header->sectionSize(TransferModel::NameColumn) + 37);
        nameWidth = header->sectionSize(TransferModel::NameColumn);
        auto *splitter = window->findChild<QSplitter *>(QStringLiteral("mainSplitter"));
        splitter->setSizes({200, 300});
        sizes = splitter->sizes();
    }
    auto window = newWindow();
    QCOMPARE(window->size(), QSize(900, 640));
    QCOMPARE(window->transferView()->view()->header()->sectionSize(TransferModel::NameColumn), nameWidth);
    QCOMPARE(window->findChild<QSplitter *>(QStringLiteral("mainSplitter"))->sizes(), sizes);
}

// What a ferry:// link on the command line (or from the desktop) does.
void TestDownloaderUi::urlOpensFolderAndDownloadsFile()
{
    QVERIFY(!m_tree->addFile(QStringLiteral("pub/notes.txt"), 5000, 4).isEmpty());
    QVERIFY(!m_tree->addFile(QStringLiteral("pub/inner/x.bin"), 100, 5).isEmpty());
    ServerProcess server(m_tree->root(), {"--workers", "2"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    auto window = newWindow();
    const QString base = QStringLiteral("ferry://%1:%2/").arg(server.host()).arg(server.port());
    window->openUrl(*client::FerryUrl::parse(base + QStringLiteral("pub/inner")));
    QTRY_COMPARE_WITH_TIMEOUT(window->browser()->path(), QStringLiteral("pub/inner"), 30000);
    QTRY_COMPARE_WITH_TIMEOUT(window->browser()->model()->rowCount(), 1, 30000);
    QVERIFY(window->connectBar()->serverText().endsWith(QString::number(server.port())));

    window->openUrl(*client::FerryUrl::parse(base + QStringLiteral("pub/notes.txt"))); // same server: only adds
    QTRY_COMPARE_WITH_TIMEOUT(window->transferModel()->rowCount(), 1, 30000);
    QTRY_VERIFY_WITH_TIMEOUT(window->queue()->isIdle(), 30000);
    QVERIFY(sameAsServed(QStringLiteral("pub/notes.txt"), m_downloads + QStringLiteral("/notes.txt")));
    QCOMPARE(window->browser()->path(), QStringLiteral("pub/inner"));
    QVERIFY(m_settings->recentServers().contains(window->link()->address()));
}

// "Open File" and "Open Folder" on a finished row hand the desktop the downloaded file and the
// folder it is in (here a subfolder of the download folder, mirrored from the server).
void TestDownloaderUi::openFileAndFolderOfFinishedRow()
{
    QVERIFY(!m_tree->addFile(QStringLiteral("docs/annual report.pdf"), 2000, 6).isEmpty());
    ServerProcess server(m_tree->root(), {"--workers", "2"});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    auto window = newWindow();
    connectThroughUi(window.get(), server);
    QTreeView *view = window->browser()->view();
    clickRow(view, guitest::rowNamed(view->model(), QStringLiteral("docs")));
    QTest::mouseClick(window->findChild<QPushButton *>(QStringLiteral("downloadButton")), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(window->transferModel()->rowCount(), 1, 30000);
    DownloadJob *job = window->queue()->jobAt(0);
    QTRY_COMPARE_WITH_TIMEOUT(job->state(), DownloadJob::State::Done, 30000);
    const QString folder = m_downloads + QStringLiteral("/docs");
    QCOMPARE(job->localPath(), folder + QStringLiteral("/annual report.pdf"));

    UrlCatcher desktop;
    QDesktopServices::setUrlHandler(QStringLiteral("file"), &desktop, "open");
    const auto restore = qScopeGuard([] { QDesktopServices::unsetUrlHandler(QStringLiteral("file")); });
    clickRow(window->transferView()->view(), window->transferModel()->index(0, 0));
    QTRY_VERIFY(window->transferView()->openFileAction()->isEnabled()); // enabled as the selection changes
    trigger(window.get(), window->transferView()->openFileAction());
    QCOMPARE(desktop.urls, QList<QUrl>{QUrl::fromLocalFile(folder + QStringLiteral("/annual report.pdf"))});
    trigger(window.get(), window->transferView()->openFolderAction());
    QCOMPARE(desktop.urls.size(), 2);
    QCOMPARE(desktop.urls.last(), QUrl::fromLocalFile(folder));
    QVERIFY(QFileInfo(desktop.urls.first().toLocalFile()).isFile());
    QVERIFY(QFileInfo(desktop.urls.last().toLocalFile()).isDir());
}

QTEST_MAIN(TestDownloaderUi)
#include "tst_downloaderui.moc"
