// What a user pastes or types into Ferry Downloader: links with raw spaces, bad
// server addresses, a port nothing listens on. Offscreen, against a real server.
#include "guitesthelpers.h"
#include "serverprocess.h"
#include "testtree.h"

#include "connectbar.h"
#include "mainwindow.h"
#include "remotebrowser.h"
#include "serverlink.h"
#include "settings.h"
#include "transfermodel.h"

#include "client/downloadjob.h"
#include "client/downloadqueue.h"
#include "client/servertrust.h"

#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScopeGuard>
#include <QStatusBar>
#include <QTcpServer>
#include <QTcpSocket>
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
    void badServerTextIsOneSentence_data();
    void badServerTextIsOneSentence();
    void messagesNeverWidenTheWindow();
    void refusedPortIsNotALostConnection();
    void portOfAnotherProtocolIsNamed();
    void listingErrorNeverWidensTheWindow();

private:
    std::unique_ptr<MainWindow> newWindow();
    void typeServer(MainWindow *window, const QString &text);

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
    return guitest::shownWindow(m_settings.get());
}

void TestDownloaderInput::typeServer(MainWindow *window, const QString &text)
{
    auto *field = window->findChild<QComboBox *>(QStringLiteral("serverField"));
    QVERIFY(field);
    field->lineEdit()->clear();
    QTest::keyClicks(field->lineEdit(), text);
    QTest::mouseClick(window->findChild<QPushButton *>(QStringLiteral("connectButton")), Qt::LeftButton);
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

void TestDownloaderInput::badServerTextIsOneSentence_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("says");
    QTest::newRow("a web address") << "http://127.0.0.1:8080/" << "http://127.0.0.1:8080/";
    QTest::newRow("port too big") << "example.org:99999" << "1 to 65535";
    QTest::newRow("port not a number") << "example.org:ftp" << "1 to 65535";
    QTest::newRow("space in the host") << "my server:4646" << "\u201cmy server:4646\u201d is not a valid";
}

// The bar says what is wrong with what was typed, quoting it, in one short sentence
// (no URL-parser internals), and no connection is attempted: "http://host:8080/" is
// not a server called "http".
void TestDownloaderInput::badServerTextIsOneSentence()
{
    QFETCH(QString, text);
    QFETCH(QString, says);
    auto window = newWindow();
    typeServer(window.get(), text);
    const QString state = window->connectBar()->stateText();
    QVERIFY2(state.contains(says), qPrintable(state));
    QVERIFY2(state.endsWith(u'.') && state.count(QStringLiteral(". ")) == 0, qPrintable(state));
    QVERIFY2(!state.contains(QLatin1String("Invalid")) && !state.contains(QLatin1String("ferry://ferry")),
             qPrintable(state));
    QVERIFY(!window->link()->hasServer());
}

// A long message is elided in the bar (whole in its tooltip); the window keeps its size.
void TestDownloaderInput::messagesNeverWidenTheWindow()
{
    auto window = newWindow();
    window->resize(1000, 680);
    QTRY_COMPARE(window->width(), 1000);
    typeServer(window.get(), QString(300, u'x') + QStringLiteral(".example.org:99999"));
    QCoreApplication::processEvents();
    QCOMPARE(window->width(), 1000);
    QVERIFY2(window->minimumSizeHint().width() <= 1000, qPrintable(QString::number(window->minimumSizeHint().width())));
    QVERIFY(window->connectBar()->stateText().contains(QString(300, u'x')));
}

// Nothing ever answered on that port: "could not connect", not "connection lost".
void TestDownloaderInput::refusedPortIsNotALostConnection()
{
    QTcpServer probe;
    QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
    const quint16 port = probe.serverPort();
    probe.close();
    auto window = newWindow();
    typeServer(window.get(), QStringLiteral("127.0.0.1:%1").arg(port));
    QTRY_VERIFY_WITH_TIMEOUT(window->link()->status() != gui::ServerLink::Status::Connecting
                                 && window->link()->status() != gui::ServerLink::Status::Disconnected, 15000);
    const QString state = window->connectBar()->stateText();
    QVERIFY2(state.startsWith(QStringLiteral("Could not connect")), qPrintable(state));
    QVERIFY2(state.contains(QStringLiteral("refused"), Qt::CaseInsensitive), qPrintable(state));
    QVERIFY(window->findChild<QWidget *>(QStringLiteral("retryConnectionButton"))->isVisibleTo(window.get()));
}

// An HTTP server's port typed by mistake, over TLS: its answer used to read as a busy Ferry server's, so
// the window said "server busy" and kept retrying. Now it says what is wrong, at once.
void TestDownloaderInput::portOfAnotherProtocolIsNamed()
{
    QTcpServer http;
    QVERIFY(http.listen(QHostAddress::LocalHost, 0));
    connect(&http, &QTcpServer::newConnection, &http, [&http] {
        while (QTcpSocket *peer = http.nextPendingConnection()) {
            connect(peer, &QTcpSocket::readyRead, peer, [peer] {
                peer->readAll();
                peer->write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
                peer->disconnectFromHost();
            });
        }
    });
    client::ServerTrust &trust = client::ServerTrust::instance();
    const bool wasPlaintext = trust.isPlaintext(); // FERRY_PLAINTEXT is set for the suites
    trust.setPlaintext(false);
    const auto restore = qScopeGuard([&trust, wasPlaintext] { trust.setPlaintext(wasPlaintext); });
    auto window = newWindow();
    typeServer(window.get(), QStringLiteral("127.0.0.1:%1").arg(http.serverPort()));
    QTRY_VERIFY_WITH_TIMEOUT(window->connectBar()->stateText().contains(QStringLiteral("does not speak Ferry")), 8000);
    QVERIFY2(!window->connectBar()->stateText().contains(QStringLiteral("busy"), Qt::CaseInsensitive),
             qPrintable(window->connectBar()->stateText()));
    QVERIFY(window->findChild<QWidget *>(QStringLiteral("retryConnectionButton"))->isVisibleTo(window.get()));
}

// The browser's status line is a message too: a long folder name in an error stays within.
void TestDownloaderInput::listingErrorNeverWidensTheWindow()
{
    ServerProcess server(m_tree->root());
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    auto window = newWindow();
    window->resize(1000, 680);
    typeServer(window.get(), QStringLiteral("%1:%2").arg(server.host()).arg(server.port()));
    QTRY_COMPARE_WITH_TIMEOUT(window->link()->status(), gui::ServerLink::Status::Connected, 15000);
    auto *status = window->findChild<QLabel *>(QStringLiteral("browserStatus"));
    QVERIFY(status);
    window->browser()->openPath(QString(200, u'y'));
    // The whole text is in the tooltip once elided; the label shows what fits.
    QTRY_VERIFY_WITH_TIMEOUT((status->text() + status->toolTip()).contains(QStringLiteral("Could not list")), 15000);
    QVERIFY2(window->minimumSizeHint().width() <= 1000, qPrintable(QString::number(window->minimumSizeHint().width())));
}

QTEST_MAIN(TestDownloaderInput)
#include "tst_downloaderinput.moc"
