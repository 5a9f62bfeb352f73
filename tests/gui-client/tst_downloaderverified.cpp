// Ferry Downloader and verified downloads, offscreen against the real server: a finished row says
// "Verified" with the file's SHA-256 and a Copy button; a server's mirrors are kept with it and
// reach the queue. FERRY_SCREENSHOTS=DIR also saves the window there (docs/screenshots).
#include "serverprocess.h"
#include "testtree.h"

#include "mainwindow.h"
#include "serverbook.h"
#include "settings.h"
#include "transfermodel.h"
#include "transferview.h"

#include "client/downloadjob.h"
#include "client/downloadqueue.h"

#include <QApplication>
#include <QClipboard>
#include <QItemSelectionModel>
#include <QLabel>
#include <QSettings>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>
#include <QTreeView>

using namespace ferry;

class TestDownloaderVerified : public QObject
{
    Q_OBJECT
private slots:
    void finishedRowShowsVerifiedAndCopiesSha256();
    void selectedVerifiedRowIsHighlightedWhole();
    void mirrorsAreKeptAndReachTheQueue();
    void malformedMirrorIsRefused();
};

void TestDownloaderVerified::finishedRowShowsVerifiedAndCopiesSha256()
{
    QTemporaryDir dir;
    ferrytest::TestTree tree;
    const QString big = tree.addFile(QStringLiteral("ubuntu-24.04-desktop-amd64.iso"), 9 * 1024 * 1024 + 77, 41);
    const QString small = tree.addFile(QStringLiteral("SHA256SUMS"), 1500, 42);
    ServerProcess server(tree.root());
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    gui::Settings settings(dir.filePath(QStringLiteral("downloader.ini")));
    settings.setDownloadFolder(dir.filePath(QStringLiteral("downloads")));
    gui::MainWindow window(&settings);
    window.resize(1100, 560);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));

    const client::FerryUrl base(server.host(), server.port(), QString());
    client::DownloadJob *job = window.queue()->addFile(base.child(QStringLiteral("ubuntu-24.04-desktop-amd64.iso")),
                                                       settings.downloadFolder());
    window.queue()->addFile(base.child(QStringLiteral("SHA256SUMS")), settings.downloadFolder());
    QTRY_VERIFY_WITH_TIMEOUT(window.queue()->isIdle(), 30000);
    QCOMPARE(job->state(), client::DownloadJob::State::Done);
    QVERIFY(job->isVerified());

    QTreeView *view = window.transferView()->view();
    const QModelIndex status = view->model()->index(0, gui::TransferModel::StatusColumn);
    QTRY_VERIFY(view->indexWidget(status) != nullptr);
    QWidget *cell = view->indexWidget(status);
    auto *text = cell->findChild<QLabel *>(QStringLiteral("verifiedText"));
    auto *copy = cell->findChild<QToolButton *>(QStringLiteral("copySha256"));
    QVERIFY(text && copy);
    const QString hex = QString::fromLatin1(ferrytest::fileSha256(big));
    QVERIFY2(text->text().startsWith(QStringLiteral("Verified")) && text->text().contains(hex.left(12)),
             qPrintable(text->text()));
    QVERIFY(view->model()->index(0, 0).data(Qt::ToolTipRole).toString().contains(hex));
    QApplication::clipboard()->clear();
    copy->click();
    QCOMPARE(QApplication::clipboard()->text(), hex);
    QVERIFY(view->indexWidget(view->model()->index(1, gui::TransferModel::StatusColumn)) != nullptr);
    Q_UNUSED(small);

    const QString shots = qEnvironmentVariable("FERRY_SCREENSHOTS");
    if (!shots.isEmpty())
        QVERIFY(window.grab().save(shots + QStringLiteral("/downloader-verified.png")));
}

// The status cell is a widget over the row: selected, it must not stay a white hole in the highlight.
void TestDownloaderVerified::selectedVerifiedRowIsHighlightedWhole()
{
    QTemporaryDir dir;
    ferrytest::TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("notes.txt"), 900, 43).isEmpty());
    ServerProcess server(tree.root());
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    gui::Settings settings(dir.filePath(QStringLiteral("downloader.ini")));
    settings.setDownloadFolder(dir.filePath(QStringLiteral("downloads")));
    gui::MainWindow window(&settings);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.queue()->addFile(client::FerryUrl(server.host(), server.port(), QStringLiteral("notes.txt")),
                            settings.downloadFolder());
    QTRY_VERIFY_WITH_TIMEOUT(window.queue()->isIdle(), 30000);

    QTreeView *view = window.transferView()->view();
    const QModelIndex status = view->model()->index(0, gui::TransferModel::StatusColumn);
    QTRY_VERIFY(view->indexWidget(status) != nullptr);
    QWidget *cell = view->indexWidget(status);
    const auto cornerOf = [cell] { return cell->grab().toImage().pixelColor(1, 1); };
    QCOMPARE(cornerOf(), view->palette().color(QPalette::Base));
    view->selectionModel()->select(status, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    QCOMPARE(cornerOf(), view->palette().color(cell->palette().currentColorGroup(), QPalette::Highlight));
    auto *text = cell->findChild<QLabel *>(QStringLiteral("verifiedText"));
    QCOMPARE(text->palette().color(text->foregroundRole()),
             view->palette().color(text->palette().currentColorGroup(), QPalette::HighlightedText));
    view->clearSelection();
    QCOMPARE(cornerOf(), view->palette().color(QPalette::Base));
}

void TestDownloaderVerified::mirrorsAreKeptAndReachTheQueue()
{
    QTemporaryDir dir;
    gui::ServerEntry entry;
    entry.name = QStringLiteral("Releases");
    entry.host = QStringLiteral("releases.example");
    entry.port = 4646;
    entry.mirrors = QStringLiteral("mirror-a.example:4646, mirror-b.example:5000");
    {
        QSettings file(dir.filePath(QStringLiteral("s.ini")), QSettings::IniFormat);
        gui::ServerBook::save(file, {entry});
    }
    QSettings file(dir.filePath(QStringLiteral("s.ini")), QSettings::IniFormat);
    const QList<gui::ServerEntry> loaded = gui::ServerBook::load(file);
    QCOMPARE(loaded, QList<gui::ServerEntry>{entry});

    client::DownloadQueue queue;
    gui::ServerBook::applyMirrors(loaded, &queue);
    const auto mirrors = queue.mirrorsFor(client::FerryUrl(entry.host, entry.port, QStringLiteral("iso/x.iso")));
    QCOMPARE(mirrors.size(), 2);
    QCOMPARE(mirrors[1].toString(), QStringLiteral("ferry://mirror-b.example:5000/iso/x.iso"));
    QVERIFY(queue.mirrorsFor(client::FerryUrl(QStringLiteral("other"), 4646, QStringLiteral("x"))).isEmpty());
}

void TestDownloaderVerified::malformedMirrorIsRefused()
{
    QString error;
    QVERIFY(!gui::ServerEntry::parseMirrors(QStringLiteral("good:4646, bad:99999"), &error));
    QVERIFY2(error.contains(QLatin1String("bad:99999")), qPrintable(error));
    QVERIFY(gui::ServerEntry::parseMirrors(QString(), &error).value().isEmpty());
}

QTEST_MAIN(TestDownloaderVerified)
#include "tst_downloaderverified.moc"
