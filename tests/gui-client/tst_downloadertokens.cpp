// Ferry Downloader and access tokens, offscreen against the real server with anonymous access off: a
// capability link opens straight into its folder, and one for a single file downloads it and shows its
// folder with that file alone; without a token the window asks for one, and what is
// pasted there opens the folder and is kept with the server's entry; the secret appears in no title or
// status text; markup in a folder's name, which the server's reason quotes, is shown as text, not drawn as
// HTML, in the prompt and in the browser's tooltip. FERRY_SCREENSHOTS=DIR also saves the opened link and the prompt there (docs/screenshots).
#include "guitesthelpers.h"
#include "serverprocess.h"
#include "testtree.h"

#include "mainwindow.h"
#include "remotebrowser.h"
#include "settings.h"
#include "tokenprompt.h"

#include "client/servertokens.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>
#include <QTextDocument>
#include <QTreeView>

#include <memory>

using namespace ferry;

class TestDownloaderTokens : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void capabilityLinkOpensItsFolder();
    void fileLinkDownloadsItAndShowsItsFolder();
    void promptAsksAndPastedTokenOpens();
    void wrongTokenAsksAgain();
    void malformedTokenIsRefusedInPlace();
    void markupInTheReasonIsShownAsText();

private:
    std::unique_ptr<gui::MainWindow> newWindow();
    QString link(const QString &path, const QString &token) const;
    QAbstractItemModel *listing(gui::MainWindow &window) const;
    void saveScreenshot(QWidget *widget, const QString &name);

    ferrytest::TestTree m_tree;
    std::unique_ptr<ServerProcess> m_server;
    QString m_secret;
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<gui::Settings> m_settings;
};

void TestDownloaderTokens::initTestCase()
{
    if (ServerProcess::defaultProgram().isEmpty())
        QSKIP("ferry-server is not built");
    QVERIFY(m_tree.isValid());
    QVERIFY(!m_tree.addFile(QStringLiteral("releases/2026/ferry.tar"), 5000, 1).isEmpty());
    QVERIFY(!m_tree.addFile(QStringLiteral("releases/2026/checksums.txt"), 200, 3).isEmpty());
    QVERIFY(!m_tree.addFile(QStringLiteral("private/plans.txt"), 100, 2).isEmpty());
    QVERIFY(!m_tree.addFile(QStringLiteral("<h1>Big</h1>/notes.txt"), 100, 4).isEmpty());
    m_server = std::make_unique<ServerProcess>(m_tree.root(), QStringList{"--anonymous", "none"});
    QVERIFY2(m_server->start(), qPrintable(m_server->diagnostics()));
    const ServerProcess::RunResult created = ServerProcess::runProgram(
        QStringLiteral(CTL_BIN), {"--admin-socket", m_server->adminSocketPath(), "token", "create", "--json",
                                  "--path", "releases", "--label", "release team"});
    m_secret = QJsonDocument::fromJson(created.out).object().value("secret").toString();
    QVERIFY2(!m_secret.isEmpty(), created.err.constData());
}

void TestDownloaderTokens::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_settings = std::make_unique<gui::Settings>(m_dir->filePath(QStringLiteral("downloader.ini")));
    m_settings->setDownloadFolder(m_dir->filePath(QStringLiteral("downloads")));
    client::ServerTokens::instance().forget(m_server->host(), m_server->port());
}

std::unique_ptr<gui::MainWindow> TestDownloaderTokens::newWindow()
{
    return guitest::shownWindow(m_settings.get(), guitest::Shown::Exposed, QSize(1000, 600));
}

QString TestDownloaderTokens::link(const QString &path, const QString &token) const
{
    return QStringLiteral("ferry://%1:%2/%3%4")
        .arg(m_server->host())
        .arg(m_server->port())
        .arg(path, token.isEmpty() ? QString() : QStringLiteral("?token=") + token);
}

QAbstractItemModel *TestDownloaderTokens::listing(gui::MainWindow &window) const
{
    auto *browser = window.findChild<gui::RemoteBrowser *>();
    return browser ? browser->view()->model() : nullptr;
}

void TestDownloaderTokens::saveScreenshot(QWidget *widget, const QString &name)
{
    const QString dir = qEnvironmentVariable("FERRY_SCREENSHOTS");
    if (!dir.isEmpty())
        QVERIFY(widget->grab().save(dir + u'/' + name));
}

void TestDownloaderTokens::capabilityLinkOpensItsFolder()
{
    auto window = newWindow();
    window->openLinks({link(QStringLiteral("releases/2026/"), m_secret)});
    QAbstractItemModel *model = listing(*window);
    QVERIFY(model);
    QTRY_VERIFY_WITH_TIMEOUT(guitest::rowNamed(model, QStringLiteral("ferry.tar")).isValid(), 15000);
    QVERIFY(!window->findChild<gui::TokenPrompt *>()->isVisible()); // nothing to confirm
    saveScreenshot(window.get(), QStringLiteral("downloader-capability-link.png"));
    QVERIFY(!window->windowTitle().contains(m_secret));
    QVERIFY(!window->statusBar()->currentMessage().contains(m_secret));
}

// The link exactly as `ferry-ctl token create --path FILE` prints it (with its ?fp= pin): no token
// prompt, the file downloaded, its folder shown with nothing but that file.
void TestDownloaderTokens::fileLinkDownloadsItAndShowsItsFolder()
{
    const ServerProcess::RunResult created = ServerProcess::runProgram(
        QStringLiteral(CTL_BIN), {"--admin-socket", m_server->adminSocketPath(), "token", "create", "--json",
                                  "--path", "releases/2026/ferry.tar"});
    const QString fileLink = QJsonDocument::fromJson(created.out).object().value("link").toString();
    QVERIFY2(fileLink.contains(QStringLiteral("/releases/2026/ferry.tar?")), qPrintable(created.err));
    auto window = newWindow();
    window->openLinks({fileLink});
    QAbstractItemModel *model = listing(*window);
    QVERIFY(model);
    QTRY_VERIFY_WITH_TIMEOUT(guitest::rowNamed(model, QStringLiteral("ferry.tar")).isValid(), 15000);
    QCOMPARE(guitest::names(model), QStringList{QStringLiteral("ferry.tar")}); // not checksums.txt
    const QString downloaded = m_settings->downloadFolder() + QStringLiteral("/ferry.tar");
    QTRY_COMPARE_WITH_TIMEOUT(QFileInfo(downloaded).size(), qint64(5000), 15000);
    QFile file(downloaded), original(m_tree.root() + QStringLiteral("/releases/2026/ferry.tar"));
    QVERIFY(file.open(QIODevice::ReadOnly) && original.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll(), original.readAll());
    QVERIFY(!window->findChild<gui::TokenPrompt *>()->isVisible());
    QVERIFY(!window->windowTitle().contains(fileLink.section(QStringLiteral("token="), 1)));
}

void TestDownloaderTokens::promptAsksAndPastedTokenOpens()
{
    auto window = newWindow();
    window->openLinks({link(QStringLiteral("releases/"), QString())});
    auto *prompt = window->findChild<gui::TokenPrompt *>();
    QTRY_VERIFY_WITH_TIMEOUT(prompt->isVisible(), 15000);
    QVERIFY(prompt->findChild<QLabel *>(QStringLiteral("tokenQuestion"))->text().contains(
        QStringLiteral("needs an access link or token")));
    saveScreenshot(window.get(), QStringLiteral("downloader-token-prompt.png"));

    auto *field = prompt->findChild<QLineEdit *>(QStringLiteral("tokenField"));
    QCOMPARE(field->echoMode(), QLineEdit::Password);
    QTest::keyClicks(field, m_secret);
    QTest::mouseClick(prompt->findChild<QPushButton *>(QStringLiteral("tokenUse")), Qt::LeftButton);
    QAbstractItemModel *model = listing(*window);
    QTRY_VERIFY_WITH_TIMEOUT(guitest::rowNamed(model, QStringLiteral("2026")).isValid(), 15000);
    QVERIFY(!prompt->isVisible());

    bool kept = false; // with the server's entry, for the next start
    for (const gui::ServerEntry &entry : m_settings->servers())
        kept = kept || (entry.port == m_server->port() && entry.token == m_secret);
    QVERIFY(kept);
}

void TestDownloaderTokens::wrongTokenAsksAgain()
{
    auto window = newWindow();
    window->openLinks({link(QStringLiteral("releases/"), QStringLiteral("B").repeated(43))});
    auto *prompt = window->findChild<gui::TokenPrompt *>();
    QTRY_VERIFY_WITH_TIMEOUT(prompt->isVisible(), 15000);
    QVERIFY(prompt->findChild<QLabel *>(QStringLiteral("tokenDetail"))->text().contains(
        QStringLiteral("did not accept the access token")));
}

// Pasted text that cannot be a token is refused in the prompt itself, in words, before any connection.
void TestDownloaderTokens::malformedTokenIsRefusedInPlace()
{
    auto window = newWindow();
    window->openLinks({link(QStringLiteral("releases/"), QString())});
    auto *prompt = window->findChild<gui::TokenPrompt *>();
    QTRY_VERIFY_WITH_TIMEOUT(prompt->isVisible(), 15000);
    QTest::keyClicks(prompt->findChild<QLineEdit *>(QStringLiteral("tokenField")), QStringLiteral("not a token!"));
    QTest::mouseClick(prompt->findChild<QPushButton *>(QStringLiteral("tokenUse")), Qt::LeftButton);
    const QString detail = prompt->findChild<QLabel *>(QStringLiteral("tokenDetail"))->text();
    QVERIFY2(detail.startsWith(QStringLiteral("That is not an access token")), qPrintable(detail));
    QVERIFY(prompt->isVisible());
    for (const gui::ServerEntry &entry : m_settings->servers())
        QVERIFY(entry.token.isEmpty());
}

namespace {

// What a person reads in a label or tooltip of `text` in `format`: Qt draws AutoText as HTML when it
// looks like HTML (a tooltip is always AutoText).
QString readAs(const QString &text, Qt::TextFormat format)
{
    QTextDocument document;
    if (format == Qt::RichText || (format == Qt::AutoText && Qt::mightBeRichText(text)))
        document.setHtml(text);
    else
        document.setPlainText(text);
    return document.toPlainText();
}

} // namespace

void TestDownloaderTokens::markupInTheReasonIsShownAsText()
{
    auto window = newWindow();
    window->openLinks({link(QStringLiteral("%3Ch1%3EBig%3C%2Fh1%3E/"), QString())});
    auto *prompt = window->findChild<gui::TokenPrompt *>();
    QTRY_VERIFY_WITH_TIMEOUT(prompt->isVisible(), 15000);
    const auto *detail = prompt->findChild<QLabel *>(QStringLiteral("tokenDetail"));
    QVERIFY2(detail->text().contains(QStringLiteral("<h1>Big</h1>")), qPrintable(detail->text()));
    QVERIFY2(readAs(detail->text(), detail->textFormat()).contains(QStringLiteral("<h1>Big</h1>")),
             qPrintable(detail->text()));
    const auto *status = window->findChild<QLabel *>(QStringLiteral("browserStatus"));
    QVERIFY(status);
    QTRY_VERIFY(status->toolTip().contains(QStringLiteral("Big")));
    QVERIFY2(readAs(status->toolTip(), Qt::AutoText).contains(QStringLiteral("<h1>Big</h1>")),
             qPrintable(status->toolTip()));
}

QTEST_MAIN(TestDownloaderTokens)
#include "tst_downloadertokens.moc"
