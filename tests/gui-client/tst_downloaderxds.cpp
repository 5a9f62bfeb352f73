// Dragging a file or folder from the remote browser onto a file manager's folder (the Direct Save
// Protocol, XDS). Runs on a real X server (Xvfb): the Downloader is the drag source, and
// XdsTarget, a separate X client, plays the file manager with the same XDND and XDS calls.
#include "guitesthelpers.h"
#include "serverprocess.h"
#include "testtree.h"
#include "xdstarget.h"

#include "directsavemimedata.h"
#include "mainwindow.h"
#include "remotebrowser.h"
#include "remotemodel.h"
#include "settings.h"
#include "transferview.h"

#include "client/downloadjob.h"
#include "client/downloadqueue.h"
#include "client/ferryurl.h"

#include <QDir>
#include <QDropEvent>
#include <QFile>
#include <QGuiApplication>
#include <QMimeData>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>
#include <QUrl>

#include <memory>

using namespace ferry;
using gui::DirectSaveMimeData;
using gui::MainWindow;

namespace {

// Where the file manager's folder is on Xvfb's 1280x1024 screen: right of the window.
const QRect FolderWindow(960, 200, 300, 300);
const QString FileName = QStringLiteral("Überweisung 2026.bin"); // a space and UTF-8, as people name files

} // namespace

class TestDownloaderXds : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void answersFollowTheUri_data();
    void answersFollowTheUri();
    void onlyASingleRowOffersDirectSave();
    void directSaveDragStillDropsOntoTheTransferList();
    void fileDroppedOnAFolderIsDownloadedThere();
    void folderDroppedOnAFolderIsMirroredThere();
    void foreignUriAnswersErrorAndDownloadsNothing();

private:
    std::unique_ptr<MainWindow> newWindow();
    XdsTarget::Outcome dragOntoFolder(MainWindow *window, const QString &row, const QByteArray &uri);
    QString link(const QString &path) const;

    ferrytest::TestTree m_tree;
    std::unique_ptr<ServerProcess> m_server;
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<gui::Settings> m_settings;
    QString m_original;
    QString m_inner;
};

void TestDownloaderXds::initTestCase()
{
    QCOMPARE(QGuiApplication::platformName(), QStringLiteral("xcb")); // ctest runs it under xvfb-run
    QVERIFY(DirectSaveMimeData::isAvailable());
    if (ServerProcess::defaultProgram().isEmpty())
        QSKIP("ferry-server is not built");
    QVERIFY(m_tree.isValid());
    m_original = m_tree.addFile(QStringLiteral("pub/") + FileName, 3 * 1024 * 1024 + 17, 7);
    QVERIFY(!m_original.isEmpty());
    QVERIFY(!m_tree.addFile(QStringLiteral("pub/notes.txt"), 2000, 2).isEmpty());
    m_inner = m_tree.addFile(QStringLiteral("pub/sub/inner.txt"), 300, 3);
    QVERIFY(!m_inner.isEmpty());
    m_server = std::make_unique<ServerProcess>(m_tree.root());
    QVERIFY2(m_server->start(), qPrintable(m_server->diagnostics()));
}

void TestDownloaderXds::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    m_settings = std::make_unique<gui::Settings>(m_dir->filePath(QStringLiteral("downloader.ini")));
    m_settings->setDownloadFolder(m_dir->filePath(QStringLiteral("downloads")));
    QVERIFY(QDir(m_dir->path()).mkpath(QStringLiteral("Desktop folder")));
}

QString TestDownloaderXds::link(const QString &path) const
{
    return client::FerryUrl(m_server->host(), m_server->port(), path).toString();
}

// What a file manager may write back, and the answer: uri, answer, the path saved to, the one name
// allowed (a folder's) or none.
void TestDownloaderXds::answersFollowTheUri_data()
{
    using Answer = DirectSaveMimeData::Answer;
    QTest::addColumn<QByteArray>("uri");
    QTest::addColumn<Answer>("answer");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("fixedName");
    const QByteArray tmp = "file://" + QFile::encodeName(QDir::tempPath());
    const QString dir = QDir::tempPath();
    const QString none;
    QTest::newRow("file:///") << tmp + "/a.bin" << Answer::Saved << dir + "/a.bin" << none;
    QTest::newRow("escaped") << tmp + "/%C3%9Cber%20weisung.bin" << Answer::Saved
                             << dir + QStringLiteral("/Über weisung.bin") << none;
    QTest::newRow("raw UTF-8, localhost") << "file://localhost" + QFile::encodeName(dir) + "/Über weisung.bin"
                                          << Answer::Saved << dir + QStringLiteral("/Über weisung.bin") << none;
    QTest::newRow("other host") << "file://nas.example" + QFile::encodeName(dir) + "/a.bin" << Answer::Error << none
                                << none;
    QTest::newRow("sftp") << QByteArray("sftp://nas/home/a.bin") << Answer::Error << none << none;
    QTest::newRow("not a URI") << QByteArray("a.bin") << Answer::Error << none << none;
    QTest::newRow("no folder") << tmp + "/no-such-folder-xds/a.bin" << Answer::Failed << none << none;
    QTest::newRow("no name") << tmp + "/" << Answer::Failed << none << none;
    QTest::newRow("NUL-terminated (libfm)") << tmp + "/a.bin" + '\0' << Answer::Saved << dir + "/a.bin" << none;
    QTest::newRow("NUL inside") << tmp + "/a.bin" + '\0' + ".part" << Answer::Failed << none << none;
    QTest::newRow("folder, own name") << tmp + "/sub" << Answer::Saved << dir + "/sub" << QStringLiteral("sub");
    QTest::newRow("folder renamed") << tmp + "/sub (2)" << Answer::Failed << none << QStringLiteral("sub");
}

void TestDownloaderXds::answersFollowTheUri()
{
    QFETCH(QByteArray, uri);
    QFETCH(DirectSaveMimeData::Answer, answer);
    QFETCH(QString, path);
    QFETCH(QString, fixedName);
    QString localPath;
    QCOMPARE(DirectSaveMimeData::check(uri, &localPath, fixedName), answer);
    QCOMPARE(localPath, path);
}

std::unique_ptr<MainWindow> TestDownloaderXds::newWindow()
{
    auto window = std::make_unique<MainWindow>(m_settings.get());
    window->setGeometry(20, 40, 900, 600); // no window manager on Xvfb: it stays where it is put
    window->show();
    if (!QTest::qWaitForWindowExposed(window.get()))
        qWarning("the window was not exposed");
    window->openUrl(*client::FerryUrl::parse(link(QStringLiteral("pub/"))));
    if (!QTest::qWaitFor([&] { return window->browser()->model()->rowCount() == 3; }, 15000))
        qWarning("pub/ was not listed");
    return window;
}

void TestDownloaderXds::onlyASingleRowOffersDirectSave()
{
    auto window = newWindow();
    const QAbstractItemModel *model = window->browser()->view()->model();
    const QModelIndex file = guitest::rowNamed(model, FileName);
    const QModelIndex other = guitest::rowNamed(model, QStringLiteral("notes.txt"));
    const QModelIndex folder = guitest::rowNamed(model, QStringLiteral("sub"));
    QVERIFY(file.isValid() && other.isValid() && folder.isValid());
    const QString xds = QString::fromLatin1(DirectSaveMimeData::Format);
    std::unique_ptr<QMimeData> one(model->mimeData({file}));
    QVERIFY(one->hasFormat(xds));
    QVERIFY(!one->hasUrls());
    QCOMPARE(one->text(), link(QStringLiteral("pub/") + FileName)); // the link stays, as text
    std::unique_ptr<QMimeData> two(model->mimeData({file, other}));
    QVERIFY(!two->hasFormat(xds));
    QCOMPARE(two->urls().size(), 2);
    std::unique_ptr<QMimeData> dir(model->mimeData({folder}));
    QVERIFY(dir->hasFormat(xds));
    std::unique_ptr<QMimeData> both(model->mimeData({file, folder}));
    QVERIFY(!both->hasFormat(xds));
}

// The transfer list takes the link of a Direct Save drag from its text.
void TestDownloaderXds::directSaveDragStillDropsOntoTheTransferList()
{
    auto window = newWindow();
    const QAbstractItemModel *model = window->browser()->view()->model();
    std::unique_ptr<QMimeData> data(model->mimeData({guitest::rowNamed(model, FileName)}));
    QVERIFY(data->hasFormat(QString::fromLatin1(DirectSaveMimeData::Format)));
    QWidget *target = window->transferView()->view()->viewport();
    const QPoint where = target->rect().center();
    QDragEnterEvent enter(where, Qt::CopyAction, data.get(), Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(target, &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(QPointF(where), Qt::CopyAction, data.get(), Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(target, &drop);
    QTRY_COMPARE_WITH_TIMEOUT(window->queue()->count(), 1, 15000);
    QCOMPARE(window->queue()->jobAt(0)->localPath(), m_settings->downloadFolder() + u'/' + FileName);
}

// Selects the row named `name` and lets the "file manager" drag it from there onto its folder.
XdsTarget::Outcome TestDownloaderXds::dragOntoFolder(MainWindow *window, const QString &name, const QByteArray &uri)
{
    QTreeView *view = window->browser()->view();
    const QModelIndex row = guitest::rowNamed(view->model(), name);
    view->setCurrentIndex(row);
    const QPoint from = view->viewport()->mapToGlobal(view->visualRect(row).center());
    XdsTarget target(FolderWindow);
    XdsTarget::Outcome failed;
    failed.error = target.errorString();
    if (!failed.error.isEmpty())
        return failed;
    target.dragFrom(from, uri);
    // The target gives up after its own 30 s, so this wait ends with the thread.
    if (!QTest::qWaitFor([&] { return target.isFinished(); }, 40000)) {
        failed.error = QStringLiteral("the drag did not finish");
        return failed;
    }
    return target.outcome();
}

void TestDownloaderXds::fileDroppedOnAFolderIsDownloadedThere()
{
    auto window = newWindow();
    const QString destination = m_dir->filePath(QStringLiteral("Desktop folder/") + FileName);
    const XdsTarget::Outcome outcome =
        dragOntoFolder(window.get(), FileName, QUrl::fromLocalFile(destination).toEncoded());
    QVERIFY2(outcome.error.isEmpty(), qPrintable(outcome.error));
    QVERIFY2(outcome.types.contains("XdndDirectSave0"), outcome.types.join(' ').constData());
    QVERIFY(outcome.types.contains("text/plain")); // the link, for text fields and the transfer list
    QVERIFY(!outcome.types.contains("text/uri-list")); // file managers would take it before XDS
    QCOMPARE(outcome.proposedName, FileName.toUtf8() + '\0'); // NUL-terminated: libfm reads a C string
    QCOMPARE(outcome.answer, QByteArray("S"));
    QCOMPARE(outcome.secondAnswer, QByteArray("S"));

    QCOMPARE(window->queue()->count(), 1); // asked twice, queued once
    client::DownloadJob *job = window->queue()->jobAt(0);
    QCOMPARE(job->localPath(), destination);
    QTRY_COMPARE_WITH_TIMEOUT(job->state(), client::DownloadJob::State::Done, 30000);
    QVERIFY(job->isVerified());
    QFile got(destination);
    QFile original(m_original);
    QVERIFY(got.open(QIODevice::ReadOnly) && original.open(QIODevice::ReadOnly));
    QVERIFY(got.readAll() == original.readAll()); // byte-identical (not QCOMPARE: 3 MiB in a failure message)
    QCOMPARE(QDir(QFileInfo(destination).path()).entryList(QDir::Files), QStringList{FileName}); // no .part left
}

// A folder keeps its name: the file manager's URI ends in it, and the tree is mirrored there.
void TestDownloaderXds::folderDroppedOnAFolderIsMirroredThere()
{
    auto window = newWindow();
    const QString destination = m_dir->filePath(QStringLiteral("Desktop folder/sub"));
    // Written as PCManFM writes it, with the C string's terminator.
    const XdsTarget::Outcome outcome = dragOntoFolder(window.get(), QStringLiteral("sub"),
                                                      QUrl::fromLocalFile(destination).toEncoded() + '\0');
    QVERIFY2(outcome.error.isEmpty(), qPrintable(outcome.error));
    QCOMPARE(outcome.proposedName, QByteArray("sub") + '\0');
    QCOMPARE(outcome.answer, QByteArray("S"));
    QTRY_COMPARE_WITH_TIMEOUT(window->queue()->count(), 1, 15000); // the folder's listing found its file
    client::DownloadJob *job = window->queue()->jobAt(0);
    QCOMPARE(job->localPath(), destination + QStringLiteral("/inner.txt"));
    QTRY_COMPARE_WITH_TIMEOUT(job->state(), client::DownloadJob::State::Done, 30000);
    QVERIFY(job->isVerified());
    QFile got(job->localPath());
    QFile original(m_inner);
    QVERIFY(got.open(QIODevice::ReadOnly) && original.open(QIODevice::ReadOnly));
    QCOMPARE(got.readAll(), original.readAll());
}

// A folder that is not on this machine: "E", so the file manager falls back, and nothing is queued.
void TestDownloaderXds::foreignUriAnswersErrorAndDownloadsNothing()
{
    auto window = newWindow();
    const XdsTarget::Outcome outcome =
        dragOntoFolder(window.get(), FileName, "sftp://nas.example/home/" + FileName.toUtf8());
    QVERIFY2(outcome.error.isEmpty(), qPrintable(outcome.error));
    QCOMPARE(outcome.answer, QByteArray("E"));
    QCOMPARE(window->queue()->count(), 0);
}

QTEST_MAIN(TestDownloaderXds)
#include "tst_downloaderxds.moc"
