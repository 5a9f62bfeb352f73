// Ferry Admin's Activity view against a real ferry-server (offscreen): the recent audit lines on connect,
// each finished request appended live (and followed), the four filter fields, refusals in colour, and a
// server with --audit-log off said so in place of rows; a path a client asked for that looks like HTML
// is shown in its tooltip as the text it is. FERRY_SCREENSHOTS=DIR saves the view there
// (docs/screenshots/admin-activity.png).
#include "activityfilter.h"
#include "activitymodel.h"
#include "activitypanel.h"
#include "mainwindow.h"
#include "serverprocess.h"
#include "testclient.h"
#include "testtree.h"

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QLineEdit>
#include <QScrollBar>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTest>
#include <QTextDocument>

#include <memory>

using namespace ferry::admingui;
using namespace ferrytest;

namespace {

constexpr int Timeout = 20000;

// The rows the view shows now (through the filter), as "REQUEST path RESULT".
QStringList shownRows(const ActivityPanel *panel)
{
    QStringList rows;
    const QAbstractItemModel *model = panel->view()->model();
    for (int row = 0; row < model->rowCount(); ++row) {
        const auto text = [&](int column) { return model->index(row, column).data().toString(); };
        rows << text(ActivityModel::RequestColumn) + u' ' + text(ActivityModel::PathColumn).section(u' ', 0, 0) + u' '
                    + text(ActivityModel::ResultColumn);
    }
    return rows;
}

// What a person reads in a tooltip: Qt draws it as HTML when it looks like HTML.
QString readAsToolTip(const QString &text)
{
    QTextDocument document;
    if (Qt::mightBeRichText(text))
        document.setHtml(text);
    else
        document.setPlainText(text);
    return document.toPlainText();
}

} // namespace

class TestAdminActivity : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void recentThenLiveAndFiltered();
    void auditLogOffIsSaid();
    void markupInAPathIsShownAsText();

private:
    void openWindow(const QStringList &serverArgs);

    std::unique_ptr<TestTree> m_tree;
    std::unique_ptr<ServerProcess> m_server;
    std::unique_ptr<MainWindow> m_window;
    std::unique_ptr<QAbstractItemModelTester> m_modelTester;
    std::unique_ptr<QAbstractItemModelTester> m_filterTester;
};

void TestAdminActivity::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    if (ServerProcess::defaultProgram().isEmpty())
        QSKIP("ferry-server is not built");
}

void TestAdminActivity::init()
{
    m_tree = std::make_unique<TestTree>();
    QVERIFY(m_tree->isValid());
    QVERIFY(!m_tree->addFile(QStringLiteral("releases/ferry-1.0.tar.gz"), 300000, 3).isEmpty());
    QVERIFY(!m_tree->addFile(QStringLiteral("releases/ferry-1.1.tar.gz"), 420000, 4).isEmpty());
    QVERIFY(!m_tree->addFile(QStringLiteral("docs/keynote.pdf"), 90000, 5).isEmpty());
}

void TestAdminActivity::cleanup()
{
    m_filterTester.reset();
    m_modelTester.reset();
    m_window.reset();
    m_server.reset();
    m_tree.reset();
}

void TestAdminActivity::openWindow(const QStringList &serverArgs)
{
    const QString socket = m_tree->base() + QStringLiteral("/admin/admin.sock");
    m_server = std::make_unique<ServerProcess>(m_tree->root(),
                                               QStringList{"--workers", "2", "--admin-socket", socket} + serverArgs);
    QVERIFY2(m_server->start(), qPrintable(m_server->diagnostics()));
    m_window = std::make_unique<MainWindow>(socket);
    m_modelTester = std::make_unique<QAbstractItemModelTester>(m_window->activityModel(),
                                                               QAbstractItemModelTester::FailureReportingMode::QtTest);
    m_filterTester = std::make_unique<QAbstractItemModelTester>(m_window->activityPanel()->view()->model(),
                                                                QAbstractItemModelTester::FailureReportingMode::QtTest);
    m_window->resize(1280, 720);
    m_window->show();
    m_window->tabs()->setCurrentWidget(m_window->activityPanel());
}

void TestAdminActivity::recentThenLiveAndFiltered()
{
    // Requests made before Ferry Admin connects come as audit_subscribe's recent lines.
    openWindow({});
    TestClient client;
    QVERIFY(client.open(m_server->host(), m_server->port()).ok());
    QVERIFY(client.get("releases/ferry-1.0.tar.gz").status.ok());
    QVERIFY(client.stat("releases/missing.iso").is(ferry::proto::ErrorCode::NotFound));
    m_window->connection()->start();
    QTRY_VERIFY_WITH_TIMEOUT(m_window->connection()->isConnected(), Timeout);
    ActivityPanel *panel = m_window->activityPanel();
    QTRY_COMPARE_WITH_TIMEOUT(shownRows(panel),
                              QStringList({"GET /releases/ferry-1.0.tar.gz OK",
                                           "STAT /releases/missing.iso NOT_FOUND"}),
                              Timeout);

    // Live: each request shows as it finishes, at the bottom, kept in view.
    QVERIFY(client.list("releases").status.ok());
    QVERIFY(client.get("releases/ferry-1.1.tar.gz", 1000, 5000).status.ok());
    QVERIFY(client.get("docs/keynote.pdf").status.ok());
    TestClient http; // a refusal: bytes that are not Ferry
    QVERIFY(http.connectTo(m_server->host(), m_server->port()).ok());
    QVERIFY(http.sendRaw("GET / HTTP/1.1\r\nHost: ferry\r\n\r\n"));
    http.waitForClose(nullptr, 5000);
    for (int i = 0; i < 40; ++i) { // enough rows to scroll, none under releases/
        switch (i % 4) {
        case 0: QVERIFY(client.stat("docs/keynote.pdf").ok()); break;
        case 1: QVERIFY(client.list("docs").status.ok()); break;
        case 2:
            QVERIFY(client.stat("docs/old/slides-" + std::to_string(i) + ".pdf").is(ferry::proto::ErrorCode::NotFound));
            break;
        default: QVERIFY(client.get("docs/keynote.pdf", uint64_t(i) * 1024, 4096).status.ok()); break;
        }
    }
    QTRY_COMPARE_WITH_TIMEOUT(m_window->activityModel()->rowCount(), 46, Timeout);
    const QStringList rows = shownRows(panel);
    QCOMPARE(rows.at(2), QStringLiteral("LIST /releases OK"));
    QCOMPARE(rows.at(3), QStringLiteral("GET /releases/ferry-1.1.tar.gz OK"));
    QCOMPARE(rows.at(5), QStringLiteral("CONNECT / BAD_REQUEST"));
    const QModelIndex range = panel->view()->model()->index(3, ActivityModel::PathColumn);
    // The range in the units of the Bytes column, where it starts and ends; the exact bytes in the tooltip.
    QCOMPARE(range.data().toString(), QStringLiteral("/releases/ferry-1.1.tar.gz  (1000 B – 5.86 KiB)"));
    QCOMPARE(range.data(Qt::ToolTipRole).toString(),
             QStringLiteral("/releases/ferry-1.1.tar.gz\nbytes 1000–5999 (5000 bytes)"));
    QVERIFY(panel->view()->model()->index(5, ActivityModel::ResultColumn).data(Qt::ForegroundRole).isValid());
    QVERIFY(!panel->view()->model()->index(3, ActivityModel::ResultColumn).data(Qt::ForegroundRole).isValid());
    QScrollBar *scroll = panel->view()->verticalScrollBar();
    QTRY_VERIFY(scroll->maximum() > 0 && scroll->value() == scroll->maximum()); // following the newest

    // Filters: each field narrows what is shown; together they all must match.
    panel->pathFilter()->setText(QStringLiteral("/releases"));
    QCOMPARE(shownRows(panel).size(), 4);
    panel->resultFilter()->setText(QStringLiteral("not_found"));
    QCOMPARE(shownRows(panel), QStringList{"STAT /releases/missing.iso NOT_FOUND"});
    QVERIFY2(panel->countText().startsWith(QStringLiteral("1 of 46")), qPrintable(panel->countText()));
    panel->pathFilter()->clear();
    panel->resultFilter()->clear();
    panel->peerFilter()->setText(QStringLiteral("127.0.0.1:%1").arg(http.localPort()));
    QCOMPARE(shownRows(panel), QStringList{"CONNECT / BAD_REQUEST"});
    panel->peerFilter()->setText(QStringLiteral("127.0.0.1"));
    QCOMPARE(shownRows(panel).size(), 46);
    panel->tokenFilter()->setText(QStringLiteral("anonymous-team"));
    QCOMPARE(shownRows(panel).size(), 0); // no request came with a token
    panel->tokenFilter()->clear();
    panel->peerFilter()->clear();

    // Not following: new rows arrive, the view stays where the reader left it.
    panel->followBox()->setChecked(false);
    scroll->setValue(0);
    QVERIFY(client.stat("releases").ok());
    QTRY_COMPARE_WITH_TIMEOUT(m_window->activityModel()->rowCount(), 47, Timeout);
    QCOMPARE(scroll->value(), 0);
    panel->followBox()->setChecked(true);
    QCOMPARE(scroll->value(), scroll->maximum());

    const QString dir = qEnvironmentVariable("FERRY_SCREENSHOTS");
    if (!dir.isEmpty()) {
        m_window->resize(1280, 960);
        QTRY_VERIFY(scroll->value() == scroll->maximum());
        QVERIFY(m_window->grab().save(dir + QStringLiteral("/admin-activity.png")));
    }
    QCOMPARE(m_server->stop(), 0);
}

void TestAdminActivity::auditLogOffIsSaid()
{
    openWindow({"--audit-log", "off"});
    m_window->connection()->start();
    QTRY_VERIFY_WITH_TIMEOUT(m_window->connection()->isConnected(), Timeout);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->activityPanel()->countText().contains(QStringLiteral("--audit-log off")),
                             Timeout);
    QCOMPARE(m_window->activityModel()->rowCount(), 0);
    QCOMPARE(m_server->stop(), 0);
}

void TestAdminActivity::markupInAPathIsShownAsText()
{
    openWindow({});
    m_window->connection()->start();
    QTRY_VERIFY_WITH_TIMEOUT(m_window->connection()->isConnected(), Timeout);
    TestClient client;
    QVERIFY(client.open(m_server->host(), m_server->port()).ok());
    QVERIFY(client.stat("<h1>Big</h1><img src=x>").is(ferry::proto::ErrorCode::NotFound));
    const QAbstractItemModel *model = m_window->activityPanel()->view()->model();
    QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 1, Timeout);
    const QString tip = model->index(0, ActivityModel::PathColumn).data(Qt::ToolTipRole).toString();
    QCOMPARE(readAsToolTip(tip).trimmed(), QStringLiteral("/<h1>Big</h1><img src=x>"));
    QCOMPARE(m_server->stop(), 0);
}

QTEST_MAIN(TestAdminActivity)
#include "tst_adminactivity.moc"
