// Destructive actions ask first: Remove of an unfinished download (and whether its
// partial file goes too), Quit while downloads run; "Don't ask again" is remembered.
// Each question is answered by a timer that finds the modal dialog, so nothing blocks.
#include "guitesthelpers.h"
#include "dialoganswerer.h"
#include "serverprocess.h"
#include "testtree.h"

#include "mainwindow.h"
#include "settings.h"
#include "transfermodel.h"
#include "transferview.h"

#include "client/downloadjob.h"
#include "client/downloadqueue.h"
#include "client/ferryurl.h"

#include <QApplication>
#include <QCheckBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFile>
#include <QLabel>
#include <QPushButton>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QTreeView>

#include <functional>
#include <memory>

using namespace ferry;
using client::DownloadJob;
using gui::MainWindow;


class TestDownloaderConfirm : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void cleanup();
    void removeUnfinishedAsksAndDeletesThePart();
    void removeCanKeepThePart();
    void cancelKeepsTheRowDownloading();
    void dontAskAgainIsRemembered();
    void removingFinishedRowsDoesNotAsk();
    void quitWithActiveDownloadsAsks();
    void cancelThatDeletesDataAsks();

private:
    std::unique_ptr<MainWindow> newWindow();
    DownloadJob *startSlowDownload(MainWindow *window, const QString &name);
    void pressDelete(MainWindow *window, int row);

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<ferrytest::TestTree> m_tree;
    std::unique_ptr<ServerProcess> m_server;
    std::unique_ptr<gui::Settings> m_settings;
};

void TestDownloaderConfirm::init()
{
    if (ServerProcess::defaultProgram().isEmpty())
        QSKIP("ferry-server is not built");
    m_dir = std::make_unique<QTemporaryDir>();
    m_tree = std::make_unique<ferrytest::TestTree>();
    QVERIFY(m_dir->isValid() && m_tree->isValid());
    for (const char *name : {"a.bin", "b.bin", "c.bin"})
        QVERIFY(!m_tree->addFile(QLatin1String(name), 20 * 1024 * 1024, 5).isEmpty());
    QVERIFY(!m_tree->addFile(QStringLiteral("small.txt"), 100, 6).isEmpty());
    // 512 KiB/s: every big download is still running when the test acts on it.
    m_server = std::make_unique<ServerProcess>(m_tree->root(), QStringList{"--rate-limit", "524288"});
    QVERIFY2(m_server->start(), qPrintable(m_server->diagnostics()));
    m_settings = std::make_unique<gui::Settings>(m_dir->filePath(QStringLiteral("downloader.ini")));
    m_settings->setDownloadFolder(m_dir->filePath(QStringLiteral("downloads")));
}

void TestDownloaderConfirm::cleanup()
{
    m_server.reset();
}

std::unique_ptr<MainWindow> TestDownloaderConfirm::newWindow()
{
    return guitest::shownWindow(m_settings.get(), guitest::Shown::Active);
}

DownloadJob *TestDownloaderConfirm::startSlowDownload(MainWindow *window, const QString &name)
{
    DownloadJob *job = window->queue()->addFile(client::FerryUrl(m_server->host(), m_server->port(), name),
                                                m_settings->downloadFolder());
    if (!QTest::qWaitFor([job] { return job->receivedBytes() > 0; }, 30000))
        qWarning("%s did not start", qPrintable(name));
    return job;
}

void TestDownloaderConfirm::pressDelete(MainWindow *window, int row)
{
    // After a dialog the offscreen platform does not hand activation back by itself, as
    // window managers do; shortcuts need an active window.
    window->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(window));
    QTreeView *view = window->transferView()->view();
    view->setFocus();
    view->setCurrentIndex(window->transferModel()->index(row, 0));
    view->selectionModel()->select(window->transferModel()->index(row, 0),
                                   QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    QTest::keyClick(view, Qt::Key_Delete);
}

void TestDownloaderConfirm::removeUnfinishedAsksAndDeletesThePart()
{
    auto window = newWindow();
    DownloadJob *job = startSlowDownload(window.get(), QStringLiteral("a.bin"));
    const QString part = job->partPath();
    QVERIFY(QFile::exists(part));
    guitest::DialogAnswerer answer([](QDialog *dialog) {
        QVERIFY(guitest::check(dialog, "deletePartialCheck"));
        QVERIFY(guitest::check(dialog, "deletePartialCheck")->isChecked()); // an orphan .part helps nobody
        guitest::press(dialog, QDialogButtonBox::AcceptRole);
    });
    pressDelete(window.get(), 0);
    QVERIFY2(answer.seen, "Remove of a running download did not ask");
    QVERIFY2(answer.text.contains(QStringLiteral("a.bin")), qPrintable(answer.text));
    QCOMPARE(window->transferModel()->rowCount(), 0);
    QTRY_VERIFY(!QFile::exists(part));
    QVERIFY(!QFile::exists(part + QStringLiteral(".ferry")));
}

void TestDownloaderConfirm::removeCanKeepThePart()
{
    auto window = newWindow();
    DownloadJob *job = startSlowDownload(window.get(), QStringLiteral("a.bin"));
    const QString part = job->partPath();
    guitest::DialogAnswerer answer([](QDialog *dialog) {
        guitest::check(dialog, "deletePartialCheck")->setChecked(false);
        guitest::press(dialog, QDialogButtonBox::AcceptRole);
    });
    pressDelete(window.get(), 0);
    QVERIFY(answer.seen);
    QCOMPARE(window->transferModel()->rowCount(), 0);
    QVERIFY(QFile::exists(part));
}

void TestDownloaderConfirm::cancelKeepsTheRowDownloading()
{
    auto window = newWindow();
    DownloadJob *job = startSlowDownload(window.get(), QStringLiteral("a.bin"));
    guitest::DialogAnswerer answer([](QDialog *dialog) { guitest::press(dialog, QDialogButtonBox::RejectRole); });
    pressDelete(window.get(), 0);
    QVERIFY(answer.seen);
    QCOMPARE(window->transferModel()->rowCount(), 1);
    QCOMPARE(job->state(), DownloadJob::State::Transferring);
    const qint64 before = job->receivedBytes();
    QTRY_VERIFY_WITH_TIMEOUT(job->receivedBytes() > before, 10000);
}

// Asked once with "Don't ask again" and "keep the partial file": later removals, also
// after a restart, neither ask nor delete.
void TestDownloaderConfirm::dontAskAgainIsRemembered()
{
    QString part;
    {
        auto window = newWindow();
        startSlowDownload(window.get(), QStringLiteral("a.bin"));
        guitest::DialogAnswerer answer([](QDialog *dialog) {
            guitest::check(dialog, "deletePartialCheck")->setChecked(false);
            guitest::check(dialog, "dontAskCheck")->setChecked(true);
            guitest::press(dialog, QDialogButtonBox::AcceptRole);
        });
        pressDelete(window.get(), 0);
        QVERIFY(answer.seen);
        DownloadJob *second = startSlowDownload(window.get(), QStringLiteral("b.bin"));
        part = second->partPath();
        guitest::DialogAnswerer none([](QDialog *dialog) { dialog->reject(); });
        pressDelete(window.get(), 0);
        QVERIFY(!none.seen);
        QCOMPARE(window->transferModel()->rowCount(), 0);
        QVERIFY(QFile::exists(part));
    }
    m_settings = std::make_unique<gui::Settings>(m_dir->filePath(QStringLiteral("downloader.ini")));
    auto window = newWindow();
    DownloadJob *third = startSlowDownload(window.get(), QStringLiteral("c.bin"));
    guitest::DialogAnswerer none([](QDialog *dialog) { dialog->reject(); });
    pressDelete(window.get(), 0);
    QVERIFY(!none.seen);
    QCOMPARE(window->transferModel()->rowCount(), 0);
    QVERIFY(QFile::exists(third->partPath()));
}

// A finished row holds nothing that removal could lose: no question.
void TestDownloaderConfirm::removingFinishedRowsDoesNotAsk()
{
    auto window = newWindow();
    DownloadJob *job = window->queue()->addFile(
        client::FerryUrl(m_server->host(), m_server->port(), QStringLiteral("small.txt")),
        m_settings->downloadFolder());
    QTRY_COMPARE_WITH_TIMEOUT(job->state(), DownloadJob::State::Done, 15000);
    const QString local = job->localPath();
    guitest::DialogAnswerer none([](QDialog *dialog) { dialog->reject(); });
    pressDelete(window.get(), 0);
    QVERIFY(!none.seen);
    QCOMPARE(window->transferModel()->rowCount(), 0);
    QVERIFY(QFile::exists(local));
}

void TestDownloaderConfirm::quitWithActiveDownloadsAsks()
{
    auto window = newWindow();
    startSlowDownload(window.get(), QStringLiteral("a.bin"));
    {
        guitest::DialogAnswerer answer([](QDialog *dialog) { guitest::press(dialog, QDialogButtonBox::RejectRole); });
        window->close();
        QVERIFY2(answer.seen, "Quit with a running download did not ask");
        QVERIFY2(answer.text.contains(QStringLiteral("resume")), qPrintable(answer.text));
        QVERIFY(window->isVisible());
    }
    {
        guitest::DialogAnswerer answer([](QDialog *dialog) {
            guitest::check(dialog, "dontAskCheck")->setChecked(true);
            guitest::press(dialog, QDialogButtonBox::AcceptRole);
        });
        window->close();
        QVERIFY(answer.seen);
        QVERIFY(!window->isVisible());
    }
    window.reset();
    auto again = newWindow(); // the queue resumes the download; quitting no longer asks
    QTRY_COMPARE_WITH_TIMEOUT(again->queue()->activeCount(), 1, 15000);
    guitest::DialogAnswerer none([](QDialog *dialog) { dialog->reject(); });
    again->close();
    QVERIFY(!none.seen);
    QVERIFY(!again->isVisible());
}

// Cancel deletes what was downloaded: asked first, "no" keeps it running.
void TestDownloaderConfirm::cancelThatDeletesDataAsks()
{
    auto window = newWindow();
    DownloadJob *job = startSlowDownload(window.get(), QStringLiteral("a.bin"));
    const QString part = job->partPath();
    {
        guitest::DialogAnswerer answer([](QDialog *dialog) { guitest::press(dialog, QDialogButtonBox::RejectRole); });
        window->activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(window.get()));
        window->transferView()->view()->setFocus();
        window->transferView()->view()->setCurrentIndex(window->transferModel()->index(0, 0));
        QTest::keyClick(window->transferView()->view(), Qt::Key_Delete, Qt::ShiftModifier);
        QVERIFY2(answer.seen, "Cancel of a running download did not ask");
        QVERIFY2(answer.text.contains(QStringLiteral("a.bin")), qPrintable(answer.text));
        QCOMPARE(job->state(), DownloadJob::State::Transferring);
    }
    guitest::DialogAnswerer answer([](QDialog *dialog) { guitest::press(dialog, QDialogButtonBox::AcceptRole); });
    window->transferView()->cancelAction()->trigger();
    QVERIFY(answer.seen);
    QCOMPARE(job->state(), DownloadJob::State::Canceled);
    QVERIFY(!QFile::exists(part));
}

QTEST_MAIN(TestDownloaderConfirm)
#include "tst_downloaderconfirm.moc"
