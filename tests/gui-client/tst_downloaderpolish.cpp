// The small things a user notices in the first hour: labels, plurals, the recent
// servers, the filter, where a new row goes, Backspace. Offscreen, against a real server.
#include "guitesthelpers.h"
#include "serverprocess.h"
#include "testtree.h"

#include "connectbar.h"
#include "mainwindow.h"
#include "preferencesdialog.h"
#include "remotebrowser.h"
#include "remotemodel.h"
#include "serverlink.h"
#include "settings.h"
#include "transfermodel.h"
#include "transferview.h"
#include "translations.h"

#include "client/downloadqueue.h"
#include "client/ferryurl.h"

#include <QComboBox>
#include <QDir>
#include <QHeaderView>
#include <QScrollBar>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QStatusBar>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>

#include <memory>

using namespace ferry;
using gui::MainWindow;

class TestDownloaderPolish : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void preferencesLabelsHaveMnemonics();
    void addedCountUsesPluralForms();
    void recentServersAreOnlyThoseThatConnected();
    void escapeClearsTheFilter();
    void enteringAFolderClearsTheFilter();
    void rowAddedFromALinkIsScrolledTo();
    void backspaceGoesUp();
    void transferListShowsTheFolder();
    void transferColumnsFitTheDefaultWindow();
    void enterDownloadsEverySelectedFile();

private:
    std::unique_ptr<MainWindow> newWindow();
    void connectTo(MainWindow *window, const QString &address);
    void openFolder(MainWindow *window, const QString &name);
    void selectRows(QTreeView *view, const QStringList &names);

    ferrytest::TestTree m_tree;
    std::unique_ptr<ServerProcess> m_server;
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<gui::Settings> m_settings;
};

void TestDownloaderPolish::initTestCase()
{
    if (ServerProcess::defaultProgram().isEmpty())
        QSKIP("ferry-server is not built");
    QVERIFY(gui::installTranslations()); // as main() does: English plural forms come from it
    QVERIFY(m_tree.isValid());
    for (int i = 0; i < 3; ++i)
        QVERIFY(!m_tree.addFile(QStringLiteral("pub/item%1.txt").arg(i), 100 + i, 20 + i).isEmpty());
    for (int i = 0; i < 30; ++i)
        QVERIFY(!m_tree.addFile(QStringLiteral("pub/deep/file%1.txt").arg(i), 10, 40 + i).isEmpty());
    QVERIFY(!m_tree.addFile(QStringLiteral("last.bin"), 5000, 9).isEmpty());
    m_server = std::make_unique<ServerProcess>(m_tree.root());
    QVERIFY2(m_server->start(), qPrintable(m_server->diagnostics()));
}

void TestDownloaderPolish::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    m_settings = std::make_unique<gui::Settings>(m_dir->filePath(QStringLiteral("downloader.ini")));
    m_settings->setDownloadFolder(m_dir->filePath(QStringLiteral("downloads")));
}

std::unique_ptr<MainWindow> TestDownloaderPolish::newWindow()
{
    return guitest::shownWindow(m_settings.get(), guitest::Shown::Active);
}

void TestDownloaderPolish::connectTo(MainWindow *window, const QString &address)
{
    auto *field = window->findChild<QComboBox *>(QStringLiteral("serverField"));
    field->lineEdit()->clear();
    QTest::keyClicks(field->lineEdit(), address);
    QTest::mouseClick(window->findChild<QPushButton *>(QStringLiteral("connectButton")), Qt::LeftButton);
}

void TestDownloaderPolish::openFolder(MainWindow *window, const QString &path)
{
    window->browser()->openPath(path);
    QTRY_VERIFY_WITH_TIMEOUT(!window->browser()->model()->isLoading(), 15000);
}

void TestDownloaderPolish::selectRows(QTreeView *view, const QStringList &names)
{
    view->clearSelection();
    for (const QString &name : names) {
        const QModelIndex index = guitest::rowNamed(view->model(), name);
        QVERIFY2(index.isValid(), qPrintable(name));
        view->selectionModel()->select(index, QItemSelectionModel::Select | QItemSelectionModel::Rows);
    }
}

// "Download &folder:" showed its ampersand: a form label needs a buddy to make it a mnemonic.
void TestDownloaderPolish::preferencesLabelsHaveMnemonics()
{
    gui::PreferencesDialog dialog(m_settings.get());
    int labelled = 0;
    for (const QLabel *label : dialog.findChildren<QLabel *>()) {
        if (!label->text().contains(u'&'))
            continue;
        QVERIFY2(label->buddy(), qPrintable(label->text() + QStringLiteral(" has no buddy: its & shows")));
        ++labelled;
    }
    QCOMPARE(labelled, 4);
    auto *folder = dialog.findChild<QLineEdit *>(QStringLiteral("folderEdit"));
    bool folderLabelled = false;
    for (const QLabel *label : dialog.findChildren<QLabel *>())
        folderLabelled = folderLabelled || label->buddy() == folder;
    QVERIFY(folderLabelled);
}

void TestDownloaderPolish::addedCountUsesPluralForms()
{
    auto window = newWindow();
    connectTo(window.get(), QStringLiteral("%1:%2").arg(m_server->host()).arg(m_server->port()));
    openFolder(window.get(), QStringLiteral("pub"));
    QTreeView *view = window->browser()->view();
    selectRows(view, {QStringLiteral("item0.txt"), QStringLiteral("item1.txt"), QStringLiteral("item2.txt")});
    window->browser()->downloadSelection();
    QString message = window->statusBar()->currentMessage();
    QVERIFY2(message.startsWith(QStringLiteral("Added 3 downloads to ")), qPrintable(message));
    selectRows(view, {QStringLiteral("deep")});
    window->browser()->downloadSelection();
    message = window->statusBar()->currentMessage();
    QVERIFY2(message.startsWith(QStringLiteral("Added 1 download to ")), qPrintable(message));
}

// A server only becomes a recent one once it answered; one that never did is not offered.
void TestDownloaderPolish::recentServersAreOnlyThoseThatConnected()
{
    QTcpServer probe;
    QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
    const QString refused = QStringLiteral("127.0.0.1:%1").arg(probe.serverPort());
    probe.close();
    auto window = newWindow();
    connectTo(window.get(), refused);
    QTRY_COMPARE_WITH_TIMEOUT(int(window->link()->status()), int(gui::ServerLink::Status::Unreachable), 15000);
    QVERIFY2(!m_settings->recentServers().contains(refused), qPrintable(m_settings->recentServers().join(u' ')));
    auto *field = window->findChild<QComboBox *>(QStringLiteral("serverField"));
    QCOMPARE(field->findText(refused), -1);

    const QString good = QStringLiteral("%1:%2").arg(m_server->host()).arg(m_server->port());
    connectTo(window.get(), good);
    QTRY_COMPARE_WITH_TIMEOUT(int(window->link()->status()), int(gui::ServerLink::Status::Connected), 15000);
    QCOMPARE(m_settings->recentServers(), QStringList{good});
    QVERIFY(field->findText(good) >= 0);
}

void TestDownloaderPolish::escapeClearsTheFilter()
{
    auto window = newWindow();
    connectTo(window.get(), QStringLiteral("%1:%2").arg(m_server->host()).arg(m_server->port()));
    openFolder(window.get(), QStringLiteral("pub"));
    auto *filter = window->findChild<QLineEdit *>(QStringLiteral("filterEdit"));
    filter->setFocus();
    QTest::keyClicks(filter, QStringLiteral("item1"));
    QCOMPARE(window->browser()->proxy()->rowCount(), 1);
    QTest::keyClick(filter, Qt::Key_Escape);
    QCOMPARE(filter->text(), QString());
    QCOMPARE(window->browser()->proxy()->rowCount(), 4); // deep/ and three items
}

// A filter typed for one folder does not blank the next one ("0 of 30").
void TestDownloaderPolish::enteringAFolderClearsTheFilter()
{
    auto window = newWindow();
    connectTo(window.get(), QStringLiteral("%1:%2").arg(m_server->host()).arg(m_server->port()));
    openFolder(window.get(), QStringLiteral("pub"));
    auto *filter = window->findChild<QLineEdit *>(QStringLiteral("filterEdit"));
    QTest::keyClicks(filter, QStringLiteral("dee"));
    QCOMPARE(window->browser()->proxy()->rowCount(), 1);
    QTreeView *view = window->browser()->view();
    const QModelIndex deep = guitest::rowNamed(view->model(), QStringLiteral("deep"));
    view->setCurrentIndex(deep);
    emit view->activated(deep);
    QTRY_VERIFY_WITH_TIMEOUT(!window->browser()->model()->isLoading() && window->browser()->path() == "pub/deep",
                             15000);
    QCOMPARE(filter->text(), QString());
    QCOMPARE(window->browser()->proxy()->rowCount(), 30);
}

// Many rows already: the one a link adds at the end is brought into view.
void TestDownloaderPolish::rowAddedFromALinkIsScrolledTo()
{
    auto window = newWindow();
    window->resize(1000, 600);
    const client::FerryUrl base(m_server->host(), m_server->port(), QString());
    window->queue()->setMaxConcurrent(1);
    for (int i = 0; i < 30; ++i)
        window->queue()->addFile(base.child(QStringLiteral("pub/deep/file%1.txt").arg(i)),
                                 m_settings->downloadFolder());
    window->queue()->pauseAll();
    QTreeView *view = window->transferView()->view();
    QTRY_COMPARE(window->transferModel()->rowCount(), 30);
    window->openLinks({base.child(QStringLiteral("last.bin")).toString()});
    QTRY_COMPARE_WITH_TIMEOUT(window->transferModel()->rowCount(), 31, 15000);
    const QModelIndex last = window->transferModel()->index(30, 0);
    QTRY_VERIFY(view->viewport()->rect().contains(view->visualRect(last)));
}

void TestDownloaderPolish::backspaceGoesUp()
{
    auto window = newWindow();
    connectTo(window.get(), QStringLiteral("%1:%2").arg(m_server->host()).arg(m_server->port()));
    openFolder(window.get(), QStringLiteral("pub/deep"));
    QTreeView *view = window->browser()->view();
    view->setFocus();
    QTest::keyClick(view, Qt::Key_Backspace);
    QCOMPARE(window->browser()->path(), QStringLiteral("pub"));
    // Typed into the path field, Backspace edits the text as usual.
    auto *path = window->findChild<QLineEdit *>(QStringLiteral("pathEdit"));
    path->setFocus();
    QTest::keyClick(path, Qt::Key_Backspace);
    QCOMPARE(window->browser()->path(), QStringLiteral("pub"));
    QCOMPARE(path->text(), QStringLiteral("/pu"));
}

// Where each download goes, as a column (a mirrored folder's files go to its subfolders).
void TestDownloaderPolish::transferListShowsTheFolder()
{
    auto window = newWindow();
    const client::FerryUrl base(m_server->host(), m_server->port(), QString());
    window->queue()->addFile(base.child(QStringLiteral("last.bin")), m_settings->downloadFolder());
    const QString other = m_dir->filePath(QStringLiteral("elsewhere"));
    window->queue()->addFile(base.child(QStringLiteral("pub/item0.txt")), other);
    window->queue()->pauseAll();
    const gui::TransferModel *model = window->transferModel();
    int column = -1;
    for (int c = 0; c < model->columnCount(); ++c) {
        if (model->headerData(c, Qt::Horizontal).toString() == QStringLiteral("Folder"))
            column = c;
    }
    QVERIFY2(column >= 0, "no Folder column");
    QCOMPARE(model->index(0, column).data().toString(), QDir::toNativeSeparators(m_settings->downloadFolder()));
    QCOMPARE(model->index(1, column).data().toString(), QDir::toNativeSeparators(other));
    QVERIFY(!window->transferView()->view()->isColumnHidden(column));
}

// The columns were wider than the default window: Folder sat beyond a horizontal scroll bar.
void TestDownloaderPolish::transferColumnsFitTheDefaultWindow()
{
    auto window = newWindow(); // no saved geometry: the default size
    QCOMPARE(window->size(), QSize(1000, 680));
    QTreeView *view = window->transferView()->view();
    QHeaderView *header = view->header();
    const int last = gui::TransferModel::FolderColumn;
    QTRY_VERIFY(header->sectionViewportPosition(last) + header->sectionSize(last) <= view->viewport()->width());
    QVERIFY(!view->horizontalScrollBar()->isVisible());
    QVERIFY2(header->sectionSize(last) >= 120, "the Folder column is too narrow to read");
    QVERIFY2(header->sectionSize(gui::TransferModel::NameColumn) >= 180, "the Name column is too narrow to read");
}

// Three files selected, Enter pressed: only the current one was queued.
void TestDownloaderPolish::enterDownloadsEverySelectedFile()
{
    auto window = newWindow();
    connectTo(window.get(), QStringLiteral("%1:%2").arg(m_server->host()).arg(m_server->port()));
    openFolder(window.get(), QStringLiteral("pub"));
    QTreeView *view = window->browser()->view();
    selectRows(view, {QStringLiteral("item0.txt"), QStringLiteral("item1.txt"), QStringLiteral("item2.txt")});
    view->selectionModel()->setCurrentIndex(guitest::rowNamed(view->model(), QStringLiteral("item1.txt")),
                                            QItemSelectionModel::NoUpdate);
    view->setFocus();
    QTest::keyClick(view, Qt::Key_Return);
    QTRY_COMPARE_WITH_TIMEOUT(window->transferModel()->rowCount(), 3, 15000);
    // One file alone is still one download, and a folder alone still opens.
    selectRows(view, {QStringLiteral("item2.txt")});
    view->selectionModel()->setCurrentIndex(guitest::rowNamed(view->model(), QStringLiteral("item2.txt")),
                                            QItemSelectionModel::NoUpdate);
    QTest::keyClick(view, Qt::Key_Return);
    QTRY_COMPARE_WITH_TIMEOUT(window->transferModel()->rowCount(), 4, 15000);
    selectRows(view, {QStringLiteral("deep")});
    view->selectionModel()->setCurrentIndex(guitest::rowNamed(view->model(), QStringLiteral("deep")),
                                            QItemSelectionModel::NoUpdate);
    QTest::keyClick(view, Qt::Key_Return);
    QTRY_COMPARE_WITH_TIMEOUT(window->browser()->path(), QStringLiteral("pub/deep"), 15000);
    QCOMPARE(window->transferModel()->rowCount(), 4);
}

QTEST_MAIN(TestDownloaderPolish)
#include "tst_downloaderpolish.moc"
