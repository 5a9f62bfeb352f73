// Ferry Admin's Tokens tab against a real ferry-server (offscreen): New Token's form makes a token and the
// link dialog shows its capability link once; the list shows it with its scope and live usage; a bad rate
// keeps the form open with the reason; Revoke ends it and a client holding it is refused. FERRY_SCREENSHOTS
// =DIR saves the tab and the link dialog there (docs/screenshots/admin-tokens*.png). Without a server: the
// list's id column, sorting by any column, and no secret in any cell even if a reply carried one.
#include "adminconnection.h"
#include "mainwindow.h"
#include "serverprocess.h"
#include "testclient.h"
#include "testtree.h"
#include "tokendialog.h"
#include "tokenmodel.h"
#include "tokenspanel.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTest>
#include <QTextDocument>
#include <QUrlQuery>

#include <memory>

using namespace ferry::admingui;
using namespace ferrytest;

namespace {

constexpr int Timeout = 20000;

const QString Secret = QStringLiteral("QK5Hg00Y292oXY8EiGRy8dFL9ifRWCHY58d5CKLqDf0");

// A token as token_list lists it (docs/ADMIN.md §5.8), plus what no list holds: its secret and its link.
QJsonObject listedToken(const QString &id, const QString &label, qint64 bytes)
{
    return QJsonObject{{"id", id}, {"label", label}, {"path", "releases"}, {"state", "active"},
                       {"expires_ms", 0}, {"connections", 0}, {"secret", Secret},
                       {"link", "ferry://h:4646/releases/?token=" + Secret},
                       {"usage", QJsonObject{{"bytes", bytes}, {"requests", 1}, {"last_used_ms", 0},
                                             {"last_peer", ""}, {"secret", Secret}}}};
}

// The view's column `column`, top to bottom.
QStringList shownColumn(const QTableView *view, int column)
{
    QStringList cells;
    for (int row = 0; row < view->model()->rowCount(); ++row)
        cells << view->model()->index(row, column).data().toString();
    return cells;
}

void clickHeader(QTableView *view, int column)
{
    QHeaderView *header = view->horizontalHeader();
    const QPoint at(header->sectionViewportPosition(column) + header->sectionSize(column) / 2, header->height() / 2);
    QTest::mouseClick(header->viewport(), Qt::LeftButton, {}, at);
}

template <typename T>
T *openDialog(QWidget *parent)
{
    for (T *dialog : parent->findChildren<T *>())
        if (dialog->isVisible())
            return dialog;
    return nullptr;
}

} // namespace

class TestAdminTokens : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void createListUseAndRevoke();
    void badRateKeepsTheFormOpen();
    void idColumnSortsAndNoCellHoldsASecret();
    void markupInALabelIsShownAsText();

private:
    void openWindow();
    void saveScreenshot(QWidget *widget, const QString &name);

    std::unique_ptr<TestTree> m_tree;
    std::unique_ptr<ServerProcess> m_server;
    std::unique_ptr<MainWindow> m_window;
};

void TestAdminTokens::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    if (ServerProcess::defaultProgram().isEmpty())
        QSKIP("ferry-server is not built");
}

void TestAdminTokens::cleanup()
{
    m_window.reset();
    m_server.reset();
    m_tree.reset();
}

void TestAdminTokens::openWindow()
{
    m_tree = std::make_unique<TestTree>();
    QVERIFY(m_tree->isValid());
    QVERIFY(!m_tree->addFile(QStringLiteral("releases/ferry-2.0.tar.gz"), 200000, 3).isEmpty());
    const QString socket = m_tree->base() + QStringLiteral("/admin/admin.sock");
    m_server = std::make_unique<ServerProcess>(
        m_tree->root(), QStringList{"--workers", "2", "--admin-socket", socket, "--anonymous", "none"});
    QVERIFY2(m_server->start(), qPrintable(m_server->diagnostics()));
    m_window = std::make_unique<MainWindow>(socket);
    m_window->resize(1280, 720);
    m_window->show();
    m_window->connection()->start();
    QTRY_VERIFY_WITH_TIMEOUT(m_window->connection()->isConnected(), Timeout);
    m_window->tabs()->setCurrentWidget(m_window->tokensPanel());
}

void TestAdminTokens::saveScreenshot(QWidget *widget, const QString &name)
{
    const QString dir = qEnvironmentVariable("FERRY_SCREENSHOTS");
    if (!dir.isEmpty())
        QVERIFY(widget->grab().save(dir + u'/' + name));
}

void TestAdminTokens::createListUseAndRevoke()
{
    openWindow();
    TokensPanel *panel = m_window->tokensPanel();
    QAbstractItemModelTester tester(panel->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QTest::mouseClick(panel->findChild<QPushButton *>(QStringLiteral("newTokenButton")), Qt::LeftButton);
    auto *form = openDialog<TokenDialog>(panel);
    QVERIFY(form);
    form->findChild<QLineEdit *>(QStringLiteral("tokenPath"))->setText(QStringLiteral("releases"));
    form->findChild<QLineEdit *>(QStringLiteral("tokenLabel"))->setText(QStringLiteral("release team"));
    form->findChild<QLineEdit *>(QStringLiteral("tokenRate"))->setText(QStringLiteral("10M"));
    form->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok)->click();

    QTRY_VERIFY_WITH_TIMEOUT(openDialog<TokenLinkDialog>(panel), Timeout);
    auto *linkDialog = openDialog<TokenLinkDialog>(panel);
    const QString link = linkDialog->findChild<QLineEdit *>(QStringLiteral("tokenLink"))->text();
    QVERIFY2(link.startsWith(QStringLiteral("ferry://")) && link.contains(QStringLiteral("/releases/")),
             qPrintable(link));
    const QString secret = QUrlQuery(QUrl(link)).queryItemValue(QStringLiteral("token"));
    QCOMPARE(secret.size(), 43);
    saveScreenshot(linkDialog, QStringLiteral("admin-token-link.png"));
    linkDialog->accept();

    TokenModel *model = panel->model();
    QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 1, Timeout);
    QCOMPARE(model->index(0, TokenModel::LabelColumn).data().toString(), QStringLiteral("release team"));
    QCOMPARE(model->index(0, TokenModel::ScopeColumn).data().toString(), QStringLiteral("/releases"));
    QCOMPARE(model->index(0, TokenModel::StateColumn).data().toString(), QStringLiteral("active"));
    // The id the server made it with, which the audit log and ferry-ctl name, has its column.
    const QString made = panel->findChild<QLabel *>(QStringLiteral("tokensStatus"))->text();
    QCOMPARE(QStringLiteral("Made %1.").arg(model->index(0, TokenModel::IdColumn).data().toString()), made);
    QVERIFY2(QRegularExpression(QStringLiteral("^tk-[0-9a-f]{10}$"))
                 .match(model->index(0, TokenModel::IdColumn).data().toString()).hasMatch(),
             qPrintable(made));
    for (int column = 0; column < TokenModel::ColumnCount; ++column) // the list never shows the secret
        for (int role = 0; role <= TokenModel::SortRole; ++role)
            QVERIFY(!model->index(0, column).data(role).toString().contains(secret));

    // A client uses it: the usage column catches up while the tab is shown.
    TestClient client;
    QVERIFY(client.connectTo(m_server->host(), m_server->port()).ok());
    QVERIFY(client.hello("ferry-tests/2", ferry::proto::ProtocolVersion2).ok());
    QVERIFY(client.send(ferry::proto::AuthRequest{secret.toStdString()}));
    ferry::proto::Message reply;
    QVERIFY(client.readMessage(&reply).ok());
    QVERIFY(std::holds_alternative<ferry::proto::AuthReply>(reply));
    QVERIFY(client.get("releases/ferry-2.0.tar.gz").status.ok());
    QTRY_VERIFY_WITH_TIMEOUT(model->index(0, TokenModel::RequestsColumn).data().toString() != QStringLiteral("0"),
                             Timeout);
    saveScreenshot(m_window.get(), QStringLiteral("admin-tokens.png"));

    panel->view()->selectRow(0);
    QTest::mouseClick(panel->findChild<QPushButton *>(QStringLiteral("revokeTokenButton")), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(model->index(0, TokenModel::StateColumn).data().toString(), QStringLiteral("revoked"),
                              Timeout);
    QVERIFY(client.stat("releases/ferry-2.0.tar.gz").is(ferry::proto::ErrorCode::Unauthorized));
}

void TestAdminTokens::badRateKeepsTheFormOpen()
{
    openWindow();
    TokensPanel *panel = m_window->tokensPanel();
    QTest::mouseClick(panel->findChild<QPushButton *>(QStringLiteral("newTokenButton")), Qt::LeftButton);
    auto *form = openDialog<TokenDialog>(panel);
    QVERIFY(form);
    form->findChild<QLineEdit *>(QStringLiteral("tokenRate"))->setText(QStringLiteral("12 parsecs"));
    form->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok)->click();
    QVERIFY(form->isVisible());
    QVERIFY(form->findChild<QLabel *>(QStringLiteral("tokenError"))->text().contains(QStringLiteral("12 parsecs")));
}

void TestAdminTokens::idColumnSortsAndNoCellHoldsASecret()
{
    AdminConnection connection; // never started: the list is fed as a token_list reply would be
    TokensPanel panel(&connection);
    panel.resize(1000, 300);
    panel.show();
    QAbstractItemModelTester tester(panel.model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    panel.model()->setTokens(QJsonArray{listedToken("tk-b000000002", "ops", 20971520),
                                        listedToken("tk-c000000003", "release team", 900),
                                        listedToken("tk-a000000001", "mirror", 1536)});
    QTableView *view = panel.view();
    QCOMPARE(view->model()->headerData(TokenModel::IdColumn, Qt::Horizontal).toString(), QStringLiteral("ID"));
    // Until a header is clicked, the server's order (oldest first).
    QCOMPARE(shownColumn(view, TokenModel::IdColumn), QStringList({"tk-b000000002", "tk-c000000003", "tk-a000000001"}));
    clickHeader(view, TokenModel::IdColumn);
    QCOMPARE(shownColumn(view, TokenModel::IdColumn), QStringList({"tk-a000000001", "tk-b000000002", "tk-c000000003"}));
    clickHeader(view, TokenModel::IdColumn);
    QCOMPARE(shownColumn(view, TokenModel::IdColumn), QStringList({"tk-c000000003", "tk-b000000002", "tk-a000000001"}));
    // Numbers sort as numbers, not as the text shown ("1.50 KiB" < "20.0 MiB" < "900 B").
    clickHeader(view, TokenModel::BytesColumn);
    QCOMPARE(view->horizontalHeader()->sortIndicatorSection(), int(TokenModel::BytesColumn));
    QCOMPARE(view->horizontalHeader()->sortIndicatorOrder(), Qt::AscendingOrder);
    QCOMPARE(shownColumn(view, TokenModel::IdColumn), QStringList({"tk-c000000003", "tk-a000000001", "tk-b000000002"}));
    // Selecting through the sorted view picks the token shown, not the model's row of the same number.
    view->selectRow(0);
    QCOMPARE(view->selectionModel()->selectedRows().first().data(TokenModel::IdRole).toString(),
             QStringLiteral("tk-c000000003"));

    // The secret (and the link that holds it) is in none of the cells, under any role, in the model or the view.
    const QList<const QAbstractItemModel *> models{panel.model(), view->model()};
    for (const QAbstractItemModel *model : models)
        for (int row = 0; row < model->rowCount(); ++row)
            for (int column = 0; column < model->columnCount(); ++column)
                for (int role = 0; role <= TokenModel::SortRole; ++role)
                    QVERIFY2(!model->index(row, column).data(role).toString().contains(Secret),
                             qPrintable(QStringLiteral("row %1, column %2, role %3").arg(row).arg(column).arg(role)));
    saveScreenshot(&panel, QStringLiteral("admin-tokens-sorted.png"));
}

// A label is whoever made the token's choice: the cell shows it as it is, and its tooltip, which Qt draws as
// HTML when it looks like HTML, reads the same.
void TestAdminTokens::markupInALabelIsShownAsText()
{
    TokenModel model;
    const QString label = QStringLiteral("<b>release</b> team");
    model.setTokens(QJsonArray{listedToken("tk-a000000001", label, 10)});
    const QModelIndex cell = model.index(0, TokenModel::LabelColumn);
    QCOMPARE(cell.data(Qt::DisplayRole).toString(), label);
    const QString tip = cell.data(Qt::ToolTipRole).toString();
    QTextDocument shown;
    if (Qt::mightBeRichText(tip))
        shown.setHtml(tip);
    else
        shown.setPlainText(tip);
    QCOMPARE(shown.toPlainText().trimmed(), label);
}

QTEST_MAIN(TestAdminTokens)
#include "tst_admintokens.moc"
