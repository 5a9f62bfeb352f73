// Ferry Downloader (offscreen) given a server list, "a:port,b:port", against real servers: its remote
// browser lists from the next server when the first is down from the start, and when the server it
// was browsing dies between two listings; downloads picked there carry the whole list. Given a bare
// domain, it browses the servers its DNS SRV record names (dnsmasq), by priority.
#include "closedport.h"
#include "dnsmasqprocess.h"
#include "guitesthelpers.h"
#include "serverprocess.h"
#include "testtree.h"

#include "connectbar.h"
#include "mainwindow.h"
#include "remotebrowser.h"
#include "remotemodel.h"
#include "securitylabel.h"
#include "serverlink.h"
#include "settings.h"

#include "client/ferryurl.h"
#include "client/knownservers.h"

#include <QComboBox>
#include <QLineEdit>
#include <QPushButton>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace ferry;
using gui::MainWindow;

namespace {

using ferrytest::closedPort;

QString serverList(const QList<quint16> &ports)
{
    QStringList servers;
    for (quint16 port : ports)
        servers << QStringLiteral("127.0.0.1:%1").arg(port);
    return servers.join(u',');
}

} // namespace

class TestDownloaderFailover : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void browsesTheNextServerWhenTheFirstIsDown();
    void browsingMovesOnWhenTheServerDiesBetweenListings();
    void browsesTheServersOfAnSrvRecord();

private:
    std::unique_ptr<MainWindow> newWindow();
    void connectThroughUi(MainWindow *window, const QString &text);
    static bool listingShows(MainWindow *window, const QString &name);

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<ferrytest::TestTree> m_tree;
    std::unique_ptr<gui::Settings> m_settings;
};

void TestDownloaderFailover::init()
{
    if (ServerProcess::defaultProgram().isEmpty())
        QSKIP("ferry-server is not built");
    m_dir = std::make_unique<QTemporaryDir>();
    m_tree = std::make_unique<ferrytest::TestTree>();
    QVERIFY(m_dir->isValid() && m_tree->isValid());
    QVERIFY(!m_tree->addFile(QStringLiteral("top.bin"), 1000, 1).isEmpty());
    QVERIFY(!m_tree->addFile(QStringLiteral("sub/inner.bin"), 2000, 2).isEmpty());
    m_settings = std::make_unique<gui::Settings>(m_dir->filePath(QStringLiteral("downloader.ini")));
    m_settings->setDownloadFolder(m_dir->filePath(QStringLiteral("downloads")));
}

std::unique_ptr<MainWindow> TestDownloaderFailover::newWindow()
{
    return guitest::shownWindow(m_settings.get(), guitest::Shown::Active); // it types in the server field
}

void TestDownloaderFailover::connectThroughUi(MainWindow *window, const QString &text)
{
    auto *field = window->findChild<QComboBox *>(QStringLiteral("serverField"));
    auto *button = window->findChild<QPushButton *>(QStringLiteral("connectButton"));
    QVERIFY(field && button);
    field->lineEdit()->clear();
    QTest::keyClicks(field->lineEdit(), text);
    QTest::mouseClick(button, Qt::LeftButton);
}

bool TestDownloaderFailover::listingShows(MainWindow *window, const QString &name)
{
    return !window->browser()->model()->isLoading() && window->browser()->model()->errorString().isEmpty()
           && guitest::rowNamed(window->browser()->proxy(), name).isValid();
}

void TestDownloaderFailover::browsesTheNextServerWhenTheFirstIsDown()
{
    ServerProcess server(m_tree->root());
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    auto window = newWindow();
    connectThroughUi(window.get(), serverList({closedPort(), server.port()}));
    QTRY_COMPARE_WITH_TIMEOUT(window->link()->status(), gui::ServerLink::Status::Connected, 30000);
    QTRY_VERIFY_WITH_TIMEOUT(listingShows(window.get(), QStringLiteral("top.bin")), 30000);
    QVERIFY2(window->connectBar()->stateText().contains(QString::number(server.port())),
             qPrintable(window->connectBar()->stateText()));
    // The status bar's security word is about the server in use, not the list's first.
    QCOMPARE(window->securityLabel()->server(), client::KnownServers::serverKey(server.host(), server.port()));
    // A download picked there names both servers, the one that answered first.
    const client::FerryUrl url = window->link()->urlFor(QStringLiteral("top.bin"));
    QCOMPARE(url.servers().size(), 2);
    QCOMPARE(url.port(), server.port());
}

void TestDownloaderFailover::browsingMovesOnWhenTheServerDiesBetweenListings()
{
    ServerProcess first(m_tree->root()), second(m_tree->root());
    QVERIFY2(first.start() && second.start(), qPrintable(first.diagnostics() + second.diagnostics()));
    auto window = newWindow();
    connectThroughUi(window.get(), serverList({first.port(), second.port()}));
    QTRY_VERIFY_WITH_TIMEOUT(listingShows(window.get(), QStringLiteral("top.bin")), 30000);
    QCOMPARE(window->link()->address(), QStringLiteral("127.0.0.1:%1").arg(first.port()));
    first.kill();
    window->browser()->openPath(QStringLiteral("sub"));
    QTRY_VERIFY_WITH_TIMEOUT(listingShows(window.get(), QStringLiteral("inner.bin")), 30000);
    QCOMPARE(window->link()->address(), QStringLiteral("127.0.0.1:%1").arg(second.port()));
    QTRY_COMPARE_WITH_TIMEOUT(window->link()->status(), gui::ServerLink::Status::Connected, 10000);
    QCOMPARE(window->securityLabel()->server(), client::KnownServers::serverKey(second.host(), second.port()));
}

void TestDownloaderFailover::browsesTheServersOfAnSrvRecord()
{
    if (const QString why = ferrytest::Dnsmasq::unavailable(); !why.isEmpty())
        QSKIP(qPrintable(why));
    ServerProcess server(m_tree->root());
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    ferrytest::Dnsmasq dns;
    // Priority 10 (preferred) names a port nothing listens on; priority 20 the server.
    QVERIFY2(dns.start(QStringLiteral("fleet.test"), {{closedPort(), 10, 0}, {server.port(), 20, 0}}),
             dns.log().constData());
    qputenv("FERRY_DNS_SERVER", dns.address().toLatin1());
    const auto unset = qScopeGuard([] { qunsetenv("FERRY_DNS_SERVER"); });
    auto window = newWindow();
    connectThroughUi(window.get(), QStringLiteral("fleet.test"));
    QTRY_VERIFY_WITH_TIMEOUT(listingShows(window.get(), QStringLiteral("top.bin")), 30000);
    QCOMPARE(window->link()->address(), QStringLiteral("127.0.0.1:%1").arg(server.port()));
    QVERIFY2(dns.logs("query[SRV] _ferry._tcp.fleet.test", 5000), dns.log().constData());
    // Downloads picked there name the record's servers, the one in use first: no second lookup.
    const client::FerryUrl url = window->link()->urlFor(QStringLiteral("top.bin"));
    QCOMPARE(url.servers().size(), 2);
    QCOMPARE(url.port(), server.port());
}

QTEST_MAIN(TestDownloaderFailover)
#include "tst_downloaderfailover.moc"
