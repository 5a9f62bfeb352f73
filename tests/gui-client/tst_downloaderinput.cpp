// What a user pastes or types into Ferry Downloader: links with raw spaces, bad
// server addresses, a port nothing listens on. Offscreen, against a real server.
#include "serverprocess.h"
#include "testtree.h"

#include "connectbar.h"
#include "mainwindow.h"
#include "serverlink.h"
#include "settings.h"
#include "transfermodel.h"

#include "client/downloadjob.h"
#include "client/downloadqueue.h"

#include <QComboBox>
#include <QLineEdit>
#include <QPushButton>
#include <QStatusBar>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace ferry;
using client::DownloadJob;
using gui::MainWindow;

class TestDownloaderInput : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void pastedLinkWithSpacesDownloads();
    void badLinkIsShownInTheWindow();

private:
    std::unique_ptr<MainWindow> newWindow();

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<ferrytest::TestTree> m_tree;
    std::unique_ptr<gui::Settings> m_settings;
    QString m_downloads;
};

void TestDownloaderInput::init()
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

std::unique_ptr<MainWindow> TestDownloaderInput::newWindow()
{
    auto window = std::make_unique<MainWindow>(m_settings.get());
    window->show();
    if (!QTest::qWaitForWindowExposed(window.get()))
        qWarning("the window was not exposed");
    return window;
}

// As a desktop or a second launch hands it over: a raw space and unescaped UTF-8.
void TestDownloaderInput::pastedLinkWithSpacesDownloads()
{
    const QString name = QString::fromUtf8("\u00dcberweisung 2026.pdf");
    QVERIFY(!m_tree->addFile(QStringLiteral("docs/") + name, 7000, 3).isEmpty());
    ServerProcess server(m_tree->root());
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    auto window = newWindow();
    window->openLinks({QStringLiteral("ferry://%1:%2/docs/%3").arg(server.host()).arg(server.port()).arg(name)});
    QTRY_COMPARE_WITH_TIMEOUT(window->transferModel()->rowCount(), 1, 15000);
    DownloadJob *job = window->queue()->jobAt(0);
    QTRY_COMPARE_WITH_TIMEOUT(job->state(), DownloadJob::State::Done, 15000);
    QString why;
    QVERIFY2(ferrytest::sameContent(m_tree->path(QStringLiteral("docs/") + name), m_downloads + u'/' + name, &why),
             qPrintable(why));
    QVERIFY(window->statusBar()->currentMessage().isEmpty() || !window->statusBar()->currentMessage().contains(
                QStringLiteral("Could not")));
}

// Nothing is printed to a terminal nobody reads: the window says what is wrong, in a sentence.
void TestDownloaderInput::badLinkIsShownInTheWindow()
{
    auto window = newWindow();
    window->openLinks({QStringLiteral("http://example.org/file.iso")});
    const QString message = window->statusBar()->currentMessage();
    QVERIFY2(message.contains(QStringLiteral("\u201chttp://example.org/file.iso\u201d is not a ferry:// link.")),
             qPrintable(message));
    QCOMPARE(window->transferModel()->rowCount(), 0);
    QVERIFY(!window->link()->hasServer());
}

QTEST_MAIN(TestDownloaderInput)
#include "tst_downloaderinput.moc"
