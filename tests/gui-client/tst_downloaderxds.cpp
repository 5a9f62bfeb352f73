// Dragging a file from the remote browser onto a file manager's folder (the Direct Save
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

#include "client/downloadjob.h"
#include "client/downloadqueue.h"
#include "client/ferryurl.h"

#include <QDir>
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
    void onlyASingleFileOffersDirectSave();
    void fileDroppedOnAFolderIsDownloadedThere();
    void foreignUriAnswersErrorAndDownloadsNothing();

private:
    std::unique_ptr<MainWindow> newWindow();
    XdsTarget::Outcome dragOntoFolder(MainWindow *window, const QByteArray &uri);
    QString link(const QString &path) const;

    ferrytest::TestTree m_tree;
    std::unique_ptr<ServerProcess> m_server;
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<gui::Settings> m_settings;
    QString m_original;
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
    QVERIFY(!m_tree.addFile(QStringLiteral("pub/sub/inner.txt"), 300, 3).isEmpty());
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

void TestDownloaderXds::answersFollowTheUri_data()
{
    QTest::addColumn<QByteArray>("uri");
    QTest::addColumn<DirectSaveMimeData::Answer>("answer");
    QTest::addColumn<QString>("path");
    const QByteArray tmp = QFile::encodeName(QDir::tempPath());
    QTest::newRow("file:///") << "file://" + tmp + "/a.bin" << DirectSaveMimeData::Answer::Saved
                              << QDir::tempPath() + "/a.bin";
    QTest::newRow("escaped") << "file://" + tmp + "/%C3%9Cber%20weisung.bin" << DirectSaveMimeData::Answer::Saved
                             << QDir::tempPath() + QStringLiteral("/Über weisung.bin");
    QTest::newRow("raw UTF-8") << "file://localhost" + tmp + "/Über weisung.bin"
                               << DirectSaveMimeData::Answer::Saved
                               << QDir::tempPath() + QStringLiteral("/Über weisung.bin");
    QTest::newRow("other host") << "file://nas.example" + tmp + "/a.bin" << DirectSaveMimeData::Answer::Error
                                << QString();
    QTest::newRow("sftp") << QByteArray("sftp://nas/home/a.bin") << DirectSaveMimeData::Answer::Error << QString();
    QTest::newRow("not a URI") << QByteArray("a.bin") << DirectSaveMimeData::Answer::Error << QString();
    QTest::newRow("no folder") << "file://" + tmp + "/no-such-folder-xds/a.bin"
                               << DirectSaveMimeData::Answer::Failed << QString();
    QTest::newRow("no name") << "file://" + tmp + "/" << DirectSaveMimeData::Answer::Failed << QString();
}

void TestDownloaderXds::answersFollowTheUri()
{
    QFETCH(QByteArray, uri);
    QFETCH(DirectSaveMimeData::Answer, answer);
    QFETCH(QString, path);
    QString localPath;
    QCOMPARE(DirectSaveMimeData::check(uri, &localPath), answer);
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

void TestDownloaderXds::onlyASingleFileOffersDirectSave()
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
    QCOMPARE(one->urls(), QList<QUrl>{QUrl(link(QStringLiteral("pub/") + FileName))}); // the links stay
    std::unique_ptr<QMimeData> two(model->mimeData({file, other}));
    QVERIFY(!two->hasFormat(xds));
    QCOMPARE(two->urls().size(), 2);
    std::unique_ptr<QMimeData> dir(model->mimeData({folder}));
    QVERIFY(!dir->hasFormat(xds));
}

// Selects the file's row and lets the "file manager" drag it from there onto its folder.
XdsTarget::Outcome TestDownloaderXds::dragOntoFolder(MainWindow *window, const QByteArray &uri)
{
    QTreeView *view = window->browser()->view();
    const QModelIndex row = guitest::rowNamed(view->model(), FileName);
    view->setCurrentIndex(row);
    const QPoint from = view->viewport()->mapToGlobal(view->visualRect(row).center());
    XdsTarget target(FolderWindow);
    if (!target.errorString().isEmpty())
        return {{}, {}, {}, target.errorString()};
    target.dragFrom(from, uri);
    if (!QTest::qWaitFor([&] { return target.isFinished(); }, 40000))
        return {{}, {}, {}, QStringLiteral("the drag did not finish")};
    return target.outcome();
}

void TestDownloaderXds::fileDroppedOnAFolderIsDownloadedThere()
{
    auto window = newWindow();
    const QString destination = m_dir->filePath(QStringLiteral("Desktop folder/") + FileName);
    const XdsTarget::Outcome outcome = dragOntoFolder(window.get(), QUrl::fromLocalFile(destination).toEncoded());
    QVERIFY2(outcome.error.isEmpty(), qPrintable(outcome.error));
    QVERIFY2(outcome.types.contains("XdndDirectSave0"), outcome.types.join(' ').constData());
    QVERIFY(outcome.types.contains("text/uri-list")); // the transfer list and text fields still get links
    QCOMPARE(QString::fromUtf8(outcome.proposedName), FileName);
    QCOMPARE(outcome.answer, QByteArray("S"));

    QCOMPARE(window->queue()->count(), 1);
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

// A folder that is not on this machine: "E", so the file manager falls back, and nothing is queued.
void TestDownloaderXds::foreignUriAnswersErrorAndDownloadsNothing()
{
    auto window = newWindow();
    const XdsTarget::Outcome outcome = dragOntoFolder(window.get(), "sftp://nas.example/home/" + FileName.toUtf8());
    QVERIFY2(outcome.error.isEmpty(), qPrintable(outcome.error));
    QCOMPARE(outcome.answer, QByteArray("E"));
    QCOMPARE(window->queue()->count(), 0);
}

QTEST_MAIN(TestDownloaderXds)
#include "tst_downloaderxds.moc"
