// Context menus of the remote browser and the transfer list, their keyboard shortcuts,
// and dragging rows onto the transfer list. Offscreen, against a real server.
#include "dialoganswerer.h"
#include "guitesthelpers.h"
#include "serverprocess.h"
#include "testtree.h"

#include "mainwindow.h"
#include "remotebrowser.h"
#include "remotemodel.h"
#include "remotesortmodel.h"
#include "serverlink.h"
#include "settings.h"
#include "transfermodel.h"
#include "transferview.h"

#include "client/downloadjob.h"
#include "client/downloadqueue.h"
#include "client/ferryurl.h"

#include <QAction>
#include <QClipboard>
#include <QFile>
#include <QFileDialog>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMimeData>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>

#include <memory>

using namespace ferry;
using client::DownloadJob;
using gui::MainWindow;

class TestDownloaderMenus : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void remoteMenuOffersTheActions();
    void copyLinkPutsLinksOnTheClipboard();
    void downloadToAsksForAFolder();
    void propertiesShowSizeAndLink();
    void transferMenuOffersTheActions();
    void removeWithFileDeletesTheDownload();
    void rowsDraggedOntoTheTransferListDownload();
    void finishedRowsDragOutAsTheirFiles();
    void queueOrderAndSpeedFromTheKeyboard();
    void preferencesHasAShortcut();

private:
    std::unique_ptr<MainWindow> newWindow();
    void select(QTreeView *view, const QStringList &names);
    QString link(const QString &path) const;

    ferrytest::TestTree m_tree;
    std::unique_ptr<ServerProcess> m_server;
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<gui::Settings> m_settings;
};

void TestDownloaderMenus::initTestCase()
{
    if (ServerProcess::defaultProgram().isEmpty())
        QSKIP("ferry-server is not built");
    QVERIFY(m_tree.isValid());
    QVERIFY(!m_tree.addFile(QStringLiteral("pub/report.pdf"), 123456, 1).isEmpty());
    QVERIFY(!m_tree.addFile(QStringLiteral("pub/notes.txt"), 2000, 2).isEmpty());
    QVERIFY(!m_tree.addFile(QStringLiteral("pub/sub/inner.txt"), 300, 3).isEmpty());
    m_server = std::make_unique<ServerProcess>(m_tree.root());
    QVERIFY2(m_server->start(), qPrintable(m_server->diagnostics()));
}

void TestDownloaderMenus::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    m_settings = std::make_unique<gui::Settings>(m_dir->filePath(QStringLiteral("downloader.ini")));
    m_settings->setDownloadFolder(m_dir->filePath(QStringLiteral("downloads")));
}

QString TestDownloaderMenus::link(const QString &path) const
{
    return client::FerryUrl(m_server->host(), m_server->port(), path).toString();
}

std::unique_ptr<MainWindow> TestDownloaderMenus::newWindow()
{
    auto window = guitest::shownWindow(m_settings.get(), guitest::Shown::Active);
    window->openUrl(*client::FerryUrl::parse(link(QStringLiteral("pub/"))));
    if (!QTest::qWaitFor([&] { return window->browser()->model()->rowCount() == 3; }, 15000))
        qWarning("pub/ was not listed");
    return window;
}

void TestDownloaderMenus::select(QTreeView *view, const QStringList &names)
{
    view->setFocus();
    view->clearSelection();
    for (const QString &name : names) {
        const QModelIndex index = guitest::rowNamed(view->model(), name);
        QVERIFY2(index.isValid(), qPrintable(name));
        view->selectionModel()->select(index, QItemSelectionModel::Select | QItemSelectionModel::Rows);
    }
    view->selectionModel()->setCurrentIndex(guitest::rowNamed(view->model(), names.first()),
                                            QItemSelectionModel::NoUpdate);
}

QStringList actionNames(QMenu *menu)
{
    QStringList names;
    for (const QAction *action : menu->actions()) {
        if (!action->isSeparator())
            names << action->objectName();
    }
    return names;
}

void TestDownloaderMenus::remoteMenuOffersTheActions()
{
    auto window = newWindow();
    gui::RemoteBrowser *browser = window->browser();
    std::unique_ptr<QMenu> menu(browser->createContextMenu());
    QCOMPARE(actionNames(menu.get()), (QStringList{"downloadAction", "downloadToAction", "copyLinkAction",
                                                   "propertiesAction"}));
    for (QAction *action : menu->actions())
        QVERIFY2(action->isSeparator() || (!action->isEnabled() && !action->shortcut().isEmpty()),
                 qPrintable(action->objectName())); // nothing selected yet; each has a key
    select(browser->view(), {QStringLiteral("notes.txt")});
    for (QAction *action : menu->actions())
        QVERIFY(action->isEnabled());
    // Keyboard: Ctrl+D in the list downloads the selection.
    QTest::keyClick(browser->view(), Qt::Key_D, Qt::ControlModifier);
    QTRY_COMPARE(window->transferModel()->rowCount(), 1);
    QCOMPARE(window->queue()->jobAt(0)->fileName(), QStringLiteral("notes.txt"));
}

void TestDownloaderMenus::copyLinkPutsLinksOnTheClipboard()
{
    auto window = newWindow();
    QTreeView *view = window->browser()->view();
    select(view, {QStringLiteral("report.pdf"), QStringLiteral("sub")});
    QGuiApplication::clipboard()->clear();
    QTest::keyClick(view, Qt::Key_C, Qt::ControlModifier);
    QStringList links = QGuiApplication::clipboard()->text().split(u'\n');
    links.sort();
    QCOMPARE(links, (QStringList{link(QStringLiteral("pub/report.pdf")), link(QStringLiteral("pub/sub/"))}));
}

void TestDownloaderMenus::downloadToAsksForAFolder()
{
    auto window = newWindow();
    QTreeView *view = window->browser()->view();
    select(view, {QStringLiteral("notes.txt")});
    const QString elsewhere = m_dir->filePath(QStringLiteral("elsewhere"));
    QVERIFY(QDir().mkpath(elsewhere));
    guitest::DialogAnswerer answer([&elsewhere](QDialog *dialog) {
        auto *files = qobject_cast<QFileDialog *>(dialog);
        QVERIFY(files);
        // As a user types a path into the dialog's name field and presses Choose.
        auto *name = files->findChild<QLineEdit *>(QStringLiteral("fileNameEdit"));
        QVERIFY(name);
        name->setText(elsewhere);
        dialog->accept(); // QFileDialog::accept() checks the typed path, then QDialog's runs
    });
    window->browser()->downloadToAction()->trigger();
    QVERIFY(answer.seen);
    QTRY_COMPARE(window->transferModel()->rowCount(), 1);
    DownloadJob *job = window->queue()->jobAt(0);
    QCOMPARE(job->localPath(), elsewhere + QStringLiteral("/notes.txt"));
    QTRY_COMPARE_WITH_TIMEOUT(job->state(), DownloadJob::State::Done, 15000);
}

void TestDownloaderMenus::propertiesShowSizeAndLink()
{
    auto window = newWindow();
    QTreeView *view = window->browser()->view();
    select(view, {QStringLiteral("report.pdf")});
    guitest::DialogAnswerer answer([](QDialog *dialog) { dialog->reject(); });
    QTest::keyClick(view, Qt::Key_Return, Qt::AltModifier);
    QVERIFY(answer.seen);
    QVERIFY2(answer.text.contains(QLocale().toString(123456) + QStringLiteral(" bytes")), qPrintable(answer.text));
    QVERIFY2(answer.text.contains(link(QStringLiteral("pub/report.pdf"))), qPrintable(answer.text));
    QVERIFY2(answer.text.contains(QStringLiteral("/pub/report.pdf")), qPrintable(answer.text));
}

void TestDownloaderMenus::transferMenuOffersTheActions()
{
    auto window = newWindow();
    window->queue()->addFile(*client::FerryUrl::parse(link(QStringLiteral("pub/notes.txt"))),
                             m_settings->downloadFolder());
    QTRY_COMPARE_WITH_TIMEOUT(window->queue()->jobAt(0)->state(), DownloadJob::State::Done, 15000);
    gui::TransferView *transfers = window->transferView();
    transfers->view()->setFocus();
    transfers->view()->setCurrentIndex(window->transferModel()->index(0, 0));
    std::unique_ptr<QMenu> menu(transfers->createContextMenu());
    QCOMPARE(actionNames(menu.get()),
             (QStringList{"pauseAction", "resumeAction", "retryAction", "cancelAction", "moveUpAction",
                          "moveDownAction", "startNowAction", "speedLimitAction", "openFileAction",
                          "openFolderAction", "copyLinkAction", "removeAction", "removeWithFileAction",
                          "clearFinishedAction"}));
    for (QAction *action : menu->actions())
        QVERIFY2(action->isSeparator() || !action->shortcut().isEmpty(), qPrintable(action->objectName()));
    QGuiApplication::clipboard()->clear();
    QTest::keyClick(transfers->view(), Qt::Key_C, Qt::ControlModifier);
    QCOMPARE(QGuiApplication::clipboard()->text(), link(QStringLiteral("pub/notes.txt")));
}

void TestDownloaderMenus::removeWithFileDeletesTheDownload()
{
    auto window = newWindow();
    DownloadJob *job = window->queue()->addFile(*client::FerryUrl::parse(link(QStringLiteral("pub/notes.txt"))),
                                                m_settings->downloadFolder());
    QTRY_COMPARE_WITH_TIMEOUT(job->state(), DownloadJob::State::Done, 15000);
    const QString file = job->localPath();
    QVERIFY(QFile::exists(file));
    gui::TransferView *transfers = window->transferView();
    transfers->view()->setFocus();
    transfers->view()->setCurrentIndex(window->transferModel()->index(0, 0));
    guitest::DialogAnswerer answer([](QDialog *dialog) { guitest::press(dialog, QDialogButtonBox::AcceptRole); });
    QTest::keyClick(transfers->view(), Qt::Key_Delete, Qt::ControlModifier);
    QVERIFY(answer.seen);
    QVERIFY2(answer.text.contains(QStringLiteral("notes.txt")), qPrintable(answer.text));
    QCOMPARE(window->transferModel()->rowCount(), 0);
    QVERIFY(!QFile::exists(file));
}

// What a drag from the browser carries, dropped on the transfer list, becomes downloads.
void TestDownloaderMenus::rowsDraggedOntoTheTransferListDownload()
{
    auto window = newWindow();
    QTreeView *view = window->browser()->view();
    select(view, {QStringLiteral("report.pdf"), QStringLiteral("sub")});
    std::unique_ptr<QMimeData> data(view->model()->mimeData(view->selectionModel()->selectedRows()));
    QVERIFY(data->hasUrls());
    QCOMPARE(data->urls().size(), 2);
    QWidget *target = window->transferView()->view()->viewport();
    const QPoint where = target->rect().center();
    QDragEnterEvent enter(where, Qt::CopyAction, data.get(), Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(target, &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(QPointF(where), Qt::CopyAction, data.get(), Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(target, &drop);
    QVERIFY(drop.isAccepted());
    QTRY_COMPARE_WITH_TIMEOUT(window->transferModel()->rowCount(), 2, 15000);
    QTRY_VERIFY_WITH_TIMEOUT(window->queue()->isIdle(), 15000);
    QVERIFY(QFile::exists(m_settings->downloadFolder() + QStringLiteral("/report.pdf")));
    QVERIFY(QFile::exists(m_settings->downloadFolder() + QStringLiteral("/sub/inner.txt")));
}

// A drag from the transfer list to a file manager carries the downloaded files as file:// URLs, which
// every file manager copies; a row that has no file (here one that failed) carries only its link.
// Dropped back on the transfer list, the files start nothing.
void TestDownloaderMenus::finishedRowsDragOutAsTheirFiles()
{
    auto window = newWindow();
    window->openLinks({link(QStringLiteral("pub/notes.txt"))});
    QTRY_COMPARE_WITH_TIMEOUT(window->transferModel()->rowCount(), 1, 15000);
    window->queue()->addFile(*client::FerryUrl::parse(link(QStringLiteral("pub/missing.bin"))),
                             m_settings->downloadFolder());
    QTRY_COMPARE_WITH_TIMEOUT(window->transferModel()->rowCount(), 2, 15000);
    QTRY_VERIFY_WITH_TIMEOUT(window->queue()->isIdle(), 15000);
    QTreeView *view = window->transferView()->view();
    QVERIFY(view->dragEnabled());
    QVERIFY(window->transferModel()->flags(window->transferModel()->index(0, 0)) & Qt::ItemIsDragEnabled);
    view->selectAll();
    std::unique_ptr<QMimeData> data(view->model()->mimeData(view->selectionModel()->selectedIndexes()));
    const QString file = m_settings->downloadFolder() + QStringLiteral("/notes.txt");
    QCOMPARE(data->urls(), QList<QUrl>{QUrl::fromLocalFile(file)}); // once, though every column is selected
    QVERIFY(QFile::exists(file));
    QCOMPARE(data->text().split(u'\n'), (QStringList{link(QStringLiteral("pub/notes.txt")),
                                                     link(QStringLiteral("pub/missing.bin"))}));
    QCOMPARE(view->model()->supportedDragActions(), Qt::CopyAction); // a file manager copies, never moves
    QWidget *target = view->viewport();
    const QPoint where = target->rect().center();
    QDragEnterEvent enter(where, Qt::CopyAction, data.get(), Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(target, &enter);
    QDropEvent drop(QPointF(where), Qt::CopyAction, data.get(), Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(target, &drop);
    QCOMPARE(window->transferModel()->rowCount(), 2);
}

// Ctrl+Up/Down reorder, Ctrl+Shift+S starts beyond the limit, Ctrl+Shift+K sets a limit.
void TestDownloaderMenus::queueOrderAndSpeedFromTheKeyboard()
{
    auto window = newWindow();
    window->queue()->setMaxConcurrent(1);
    QList<DownloadJob *> jobs;
    for (const char *name : {"report.pdf", "notes.txt", "sub/inner.txt"})
        jobs << window->queue()->addFile(*client::FerryUrl::parse(link(QStringLiteral("pub/") + QLatin1String(name))),
                                         m_settings->downloadFolder());
    window->queue()->pauseAll();
    QTreeView *view = window->transferView()->view();
    view->setFocus();
    view->setCurrentIndex(window->transferModel()->index(2, 0));
    QTest::keyClick(view, Qt::Key_Up, Qt::ControlModifier);
    QCOMPARE(window->queue()->indexOf(jobs.at(2)->id()), 1);
    QTest::keyClick(view, Qt::Key_Up, Qt::ControlModifier);
    QCOMPARE(window->queue()->indexOf(jobs.at(2)->id()), 0);
    QTest::keyClick(view, Qt::Key_Down, Qt::ControlModifier);
    QCOMPARE(window->queue()->indexOf(jobs.at(2)->id()), 1);
    QCOMPARE(window->transferModel()->index(1, 0).data().toString(), QStringLiteral("inner.txt"));

    guitest::DialogAnswerer answer([](QDialog *dialog) {
        auto *spin = dialog->findChild<QSpinBox *>();
        QVERIFY(spin);
        spin->setValue(128);
        dialog->accept();
    });
    QTest::keyClick(view, Qt::Key_K, Qt::ControlModifier | Qt::ShiftModifier);
    QVERIFY(answer.seen);
    QCOMPARE(jobs.at(2)->speedLimit(), qint64(128 * 1024));

    window->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(window.get()));
    view->setFocus();
    QTest::keyClick(view, Qt::Key_S, Qt::ControlModifier | Qt::ShiftModifier);
    QTRY_COMPARE_WITH_TIMEOUT(jobs.at(2)->state(), DownloadJob::State::Done, 15000);
    QCOMPARE(jobs.at(0)->state(), DownloadJob::State::Paused);
}

// Preferences had QKeySequence::Preferences, which most Linux desktops leave empty: no key at all.
void TestDownloaderMenus::preferencesHasAShortcut()
{
    auto window = newWindow();
    QMenu *file = window->menuBar()->actions().value(0)->menu();
    auto *preferences = window->findChild<QAction *>(QStringLiteral("preferencesAction"));
    QVERIFY(file && preferences && file->actions().contains(preferences));
    const QList<QKeySequence> standard = QKeySequence::keyBindings(QKeySequence::Preferences);
    QCOMPARE(preferences->shortcut(), standard.isEmpty() ? QKeySequence(QStringLiteral("Ctrl+,")) : standard.first());
}

QTEST_MAIN(TestDownloaderMenus)
#include "tst_downloadermenus.moc"
