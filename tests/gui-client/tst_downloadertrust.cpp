// Ferry Downloader and server identities, offscreen against the real server over TLS: the first-contact
// question, the changed-identity warning that offers no way on, the lock in the status bar, and
// Preferences → Known servers, and the pin a server in the list (File → Servers…) carries.
// FERRY_SCREENSHOTS=DIR also saves the dialogs there (docs/screenshots).
#include "guitesthelpers.h"
#include "serverprocess.h"
#include "testtree.h"

#include "connectbar.h"
#include "elidinglabel.h"
#include "knownserversdialog.h"
#include "mainwindow.h"
#include "remotebrowser.h"
#include "remotemodel.h"
#include "securitylabel.h"
#include "serverbook.h"
#include "serverlink.h"
#include "settings.h"
#include "trustprompter.h"

#include "client/fingerprint.h"
#include "client/servertrust.h"

#include <QApplication>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QStatusBar>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QTreeWidget>

#include <functional>
#include <memory>

using namespace ferry;

class TestDownloaderTrust : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void firstContactAsksAndTrustConnects();
    void firstContactDeclinedSaysWhatToDo();
    void changedIdentityWarnsWithoutAWayOn();
    void plaintextServerIsMarked();
    void stoppedServerShowsNoLock();
    void knownServersDialogRemovesAPin();
    void serverListPinIsRequiredWithoutAPrompt();

private:
    std::unique_ptr<gui::MainWindow> newWindow();
    void connectThroughUi(gui::MainWindow *window, const ServerProcess &server);
    // Picks `item` in the Server field (as the list of named servers offers it) and presses Connect.
    void connectToNamed(gui::MainWindow *window, const QString &item);
    // Runs `handle` on the next modal message box (polled from the event loop while it is open).
    void whenMessageBoxOpens(std::function<void(QMessageBox *)> handle);
    void saveScreenshot(QWidget *widget, const QString &name);

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<ferrytest::TestTree> m_tree;
    std::unique_ptr<gui::Settings> m_settings;
    bool m_handled = false;
};

void TestDownloaderTrust::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    m_tree = std::make_unique<ferrytest::TestTree>();
    QVERIFY(m_dir->isValid() && m_tree->isValid());
    QVERIFY(!m_tree->addFile(QStringLiteral("a.bin"), 1000, 1).isEmpty());
    m_settings = std::make_unique<gui::Settings>(m_dir->filePath(QStringLiteral("downloader.ini")));
    m_settings->setDownloadFolder(m_dir->filePath(QStringLiteral("downloads")));
    client::ServerTrust::instance().setKnownServersPath(m_dir->filePath(QStringLiteral("known-servers")));
    client::ServerTrust::instance().setPlaintext(false);
    m_handled = false;
}

std::unique_ptr<gui::MainWindow> TestDownloaderTrust::newWindow()
{
    return guitest::shownWindow(m_settings.get(), guitest::Shown::Exposed, QSize(1000, 600));
}

void TestDownloaderTrust::connectThroughUi(gui::MainWindow *window, const ServerProcess &server)
{
    auto *field = window->findChild<QComboBox *>(QStringLiteral("serverField"));
    auto *button = window->findChild<QPushButton *>(QStringLiteral("connectButton"));
    QVERIFY(field && button);
    field->lineEdit()->clear();
    QTest::keyClicks(field->lineEdit(), QStringLiteral("%1:%2").arg(server.host()).arg(server.port()));
    QTest::mouseClick(button, Qt::LeftButton);
}

void TestDownloaderTrust::connectToNamed(gui::MainWindow *window, const QString &item)
{
    auto *field = window->findChild<QComboBox *>(QStringLiteral("serverField"));
    auto *button = window->findChild<QPushButton *>(QStringLiteral("connectButton"));
    QVERIFY(field && button);
    const int index = field->findText(item);
    QVERIFY2(index >= 0, qPrintable(item));
    field->setCurrentIndex(index);
    emit field->activated(index);
    QTest::mouseClick(button, Qt::LeftButton);
}

void TestDownloaderTrust::whenMessageBoxOpens(std::function<void(QMessageBox *)> handle)
{
    auto *poll = new QTimer(this);
    poll->setInterval(20);
    connect(poll, &QTimer::timeout, this, [this, poll, handle] {
        auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
        if (!box || !box->isVisible())
            return;
        poll->stop();
        poll->deleteLater();
        handle(box);
        m_handled = true;
    });
    poll->start();
}

void TestDownloaderTrust::saveScreenshot(QWidget *widget, const QString &name)
{
    const QString dir = qEnvironmentVariable("FERRY_SCREENSHOTS");
    if (!dir.isEmpty())
        QVERIFY(widget->grab().save(dir + u'/' + name));
}

void TestDownloaderTrust::firstContactAsksAndTrustConnects()
{
    ServerProcess server(m_tree->root(), {QStringLiteral("--plaintext"), QStringLiteral("off")});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    auto window = newWindow();
    QString text;
    whenMessageBoxOpens([&](QMessageBox *box) {
        text = box->text();
        saveScreenshot(box, QStringLiteral("downloader-first-contact.png"));
        auto *trust = box->findChild<QPushButton *>(QStringLiteral("trustButton"));
        QVERIFY(trust);
        QCOMPARE(box->defaultButton(), box->button(QMessageBox::Cancel)); // Enter does not trust
        trust->click();
    });
    connectThroughUi(window.get(), server);
    QTRY_VERIFY_WITH_TIMEOUT(m_handled, 30000);
    QVERIFY2(text.contains(server.fingerprint().left(34)) && text.contains(QStringLiteral("ferry-ctl identity")),
             qPrintable(text));
    QTRY_COMPARE_WITH_TIMEOUT(window->link()->status(), gui::ServerLink::Status::Connected, 30000);
    const QString key = client::KnownServers::serverKey(server.host(), server.port());
    QCOMPARE(client::ServerTrust::instance().knownServers().fingerprintFor(key), server.fingerprint());
    gui::SecurityLabel *lock = window->securityLabel();
    QTRY_VERIFY(lock->isEncrypted());
    QCOMPARE(lock->text(),
             QStringLiteral("TLS 1.3, pinned identity %1").arg(client::shortFingerprint(server.fingerprint())));
    QVERIFY(lock->toolTip().contains(QStringLiteral("TLS_")));
    QTRY_VERIFY_WITH_TIMEOUT(!window->browser()->model()->isLoading(), 30000);
    window->resize(900, 500);
    saveScreenshot(window.get(), QStringLiteral("downloader-tls-status.png"));
}

// Cancel at first contact: the window says the server is not trusted yet and how to go on, in its own
// words, not with the engine's advice for ferry-get's command line.
void TestDownloaderTrust::firstContactDeclinedSaysWhatToDo()
{
    ServerProcess server(m_tree->root(), {QStringLiteral("--plaintext"), QStringLiteral("off")});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    auto window = newWindow();
    whenMessageBoxOpens([](QMessageBox *box) { box->button(QMessageBox::Cancel)->click(); });
    connectThroughUi(window.get(), server);
    QTRY_VERIFY_WITH_TIMEOUT(m_handled, 30000);
    const gui::ServerLink *link = window->link();
    QTRY_VERIFY_WITH_TIMEOUT(link->status() == gui::ServerLink::Status::Unreachable
                                 || link->status() == gui::ServerLink::Status::Lost,
                             30000);
    QVERIFY2(link->detail().contains(QStringLiteral("not trusted yet")), qPrintable(link->detail()));
    QVERIFY2(!link->detail().contains(QStringLiteral("ferry-get")), qPrintable(link->detail()));
    auto *status = window->findChild<QLabel *>(QStringLiteral("browserStatus"));
    QVERIFY(status);
    QTRY_VERIFY_WITH_TIMEOUT((status->text() + status->toolTip()).contains(QStringLiteral("not trusted yet")), 30000);
    QVERIFY2(!(status->text() + status->toolTip()).contains(QStringLiteral("ferry-get")), qPrintable(status->toolTip()));
    const QString key = client::KnownServers::serverKey(server.host(), server.port());
    QVERIFY(client::ServerTrust::instance().knownServers().fingerprintFor(key).isEmpty()); // nothing pinned
}

void TestDownloaderTrust::changedIdentityWarnsWithoutAWayOn()
{
    ServerProcess server(m_tree->root(), {QStringLiteral("--plaintext"), QStringLiteral("off")});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    const QString key = client::KnownServers::serverKey(server.host(), server.port());
    const QString pinned = QStringLiteral("Q7ZK-M3WD-R5TB-H2NC-X6PA-J4LE-VGSY-UFKO-N3BI-W7TR-DQ5X-ZAHM-E2PQ");
    QVERIFY(client::ServerTrust::instance().knownServers().add(key, pinned));
    auto window = newWindow();
    QString text;
    QList<QAbstractButton *> buttons;
    whenMessageBoxOpens([&](QMessageBox *box) {
        text = box->text();
        buttons = box->buttons();
        saveScreenshot(box, QStringLiteral("downloader-identity-changed.png"));
        box->button(QMessageBox::Close)->click();
    });
    connectThroughUi(window.get(), server);
    QTRY_VERIFY_WITH_TIMEOUT(m_handled, 30000);
    QVERIFY2(text.contains(QStringLiteral("HAS CHANGED")), qPrintable(text));
    QVERIFY(text.contains(pinned.left(34)) && text.contains(server.fingerprint().left(34)));
    QCOMPARE(buttons.size(), 1); // Close, and nothing that would go on
    QTRY_VERIFY_WITH_TIMEOUT(window->link()->status() != gui::ServerLink::Status::Connecting, 30000);
    QVERIFY(window->link()->status() != gui::ServerLink::Status::Connected);
    QCOMPARE(client::ServerTrust::instance().knownServers().fingerprintFor(key), pinned); // untouched
    // The window says so in one line each (the terminal's "@@@" warning pushed the bar to two lines),
    // and the status bar shows no lock: an open one, "Identity refused".
    QTRY_VERIFY_WITH_TIMEOUT(!window->browser()->model()->isLoading(), 30000);
    auto *browserStatus = window->findChild<gui::ElidingLabel *>(QStringLiteral("browserStatus"));
    QVERIFY(browserStatus);
    for (const QString &said : {window->connectBar()->stateText(), browserStatus->fullText()}) {
        QVERIFY2(said.contains(QStringLiteral("refused")) && said.contains(key), qPrintable(said));
        QVERIFY2(!said.contains(u'\n') && !said.contains(QStringLiteral("@@@")), qPrintable(said));
    }
    gui::SecurityLabel *lock = window->securityLabel();
    QVERIFY(lock->isVisible() && lock->isRefused() && !lock->isEncrypted());
    QCOMPARE(lock->text(), QStringLiteral("Identity refused"));
    QCOMPARE(lock->server(), key);
}

void TestDownloaderTrust::plaintextServerIsMarked()
{
    ServerProcess server(m_tree->root(), {QStringLiteral("--plaintext"), QStringLiteral("only")});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    client::ServerTrust::instance().setPlaintext(true);
    auto window = newWindow();
    connectThroughUi(window.get(), server);
    QTRY_COMPARE_WITH_TIMEOUT(window->link()->status(), gui::ServerLink::Status::Connected, 30000);
    gui::SecurityLabel *lock = window->securityLabel();
    QTRY_COMPARE(lock->text(), QStringLiteral("Not encrypted (plaintext)"));
    QVERIFY(!lock->isEncrypted());
    QVERIFY(lock->toolTip().contains(QStringLiteral("without TLS")));
}

// The server is stopped (no identity problem): the status bar shows no lock for a connection that is
// gone, only "Not connected"; the last connection's protection and pin stay in the tooltip. Back on the
// same port with the same identity, Retry brings the lock back.
void TestDownloaderTrust::stoppedServerShowsNoLock()
{
    auto server = std::make_unique<ServerProcess>(m_tree->root(), QStringList{"--plaintext", "off"});
    QVERIFY2(server->start(), qPrintable(server->diagnostics()));
    const QString key = client::KnownServers::serverKey(server->host(), server->port());
    const QString identity = client::shortFingerprint(server->fingerprint());
    QVERIFY(client::ServerTrust::instance().knownServers().add(key, server->fingerprint()));
    auto window = newWindow();
    connectThroughUi(window.get(), *server);
    QTRY_COMPARE_WITH_TIMEOUT(window->link()->status(), gui::ServerLink::Status::Connected, 30000);
    gui::SecurityLabel *lock = window->securityLabel();
    QTRY_VERIFY(lock->isEncrypted());
    QCOMPARE(lock->text(), QStringLiteral("TLS 1.3, pinned identity %1").arg(identity));

    QCOMPARE(server->stop(), 0);
    // An idle session closed by the server is routine (serverlink.h); a reload finds the server gone.
    QTRY_VERIFY_WITH_TIMEOUT(!window->browser()->model()->isLoading(), 30000);
    auto *reload = window->findChild<QAbstractButton *>(QStringLiteral("reloadButton"));
    QVERIFY(reload);
    reload->click();
    QTRY_VERIFY_WITH_TIMEOUT(window->link()->status() == gui::ServerLink::Status::Lost
                                 || window->link()->status() == gui::ServerLink::Status::Unreachable,
                             30000);
    QVERIFY(lock->isVisible() && !lock->isConnected() && !lock->isEncrypted() && !lock->isRefused());
    QCOMPARE(lock->text(), QStringLiteral("Not connected"));
    QVERIFY2(lock->toolTip().startsWith(QStringLiteral("%1 is not connected. The last connection to it: TLS 1.3, "
                                                       "pinned identity %2")
                                            .arg(key, identity)),
             qPrintable(lock->toolTip()));
    saveScreenshot(window->statusBar(), QStringLiteral("downloader-tls-not-connected.png"));

    const QString stateDir = server->stateDir(); // the same identity after the restart
    ServerProcess again(m_tree->root(), {"--plaintext", "off", "--state-dir", stateDir, "--listen",
                                         QStringLiteral("%1:%2").arg(server->host()).arg(server->port())});
    QVERIFY2(again.start(), qPrintable(again.diagnostics()));
    QCOMPARE(again.fingerprint(), server->fingerprint());
    auto *retry = window->findChild<QAbstractButton *>(QStringLiteral("retryConnectionButton"));
    QVERIFY(retry && retry->isVisible());
    retry->click();
    QTRY_COMPARE_WITH_TIMEOUT(window->link()->status(), gui::ServerLink::Status::Connected, 30000);
    QTRY_VERIFY(lock->isEncrypted());
    QCOMPARE(lock->text(), QStringLiteral("TLS 1.3, pinned identity %1").arg(identity));
}

void TestDownloaderTrust::knownServersDialogRemovesAPin()
{
    client::KnownServers &known = client::ServerTrust::instance().knownServers();
    const QString fp = QStringLiteral("AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH-IIII-JJJJ-KKKK-LLLL-MMMM");
    QVERIFY(known.add(QStringLiteral("one.example:4646"), fp));
    QVERIFY(known.add(QStringLiteral("two.example:4646"), fp));
    gui::KnownServersDialog dialog;
    auto *list = dialog.findChild<QTreeWidget *>(QStringLiteral("knownServersList"));
    auto *remove = dialog.findChild<QPushButton *>(QStringLiteral("removeButton"));
    QVERIFY(list && remove);
    QCOMPARE(list->topLevelItemCount(), 2);
    saveScreenshot(&dialog, QStringLiteral("downloader-known-servers.png"));
    QVERIFY(!remove->isEnabled());
    list->setCurrentItem(list->topLevelItem(0));
    QVERIFY(remove->isEnabled());
    const QString chosen = list->topLevelItem(0)->text(0);
    remove->click();
    QCOMPARE(list->topLevelItemCount(), 1);
    QCOMPARE(known.entries().size(), 1);
    QVERIFY(known.fingerprintFor(chosen).isEmpty());
}

// A server remembered with its pin is held to it: a wrong pin refuses the server before anything is
// sent, the right one connects without asking and pins it in known-servers, as a link's ?fp= does.
void TestDownloaderTrust::serverListPinIsRequiredWithoutAPrompt()
{
    ServerProcess server(m_tree->root(), {QStringLiteral("--plaintext"), QStringLiteral("off")});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    const QString key = client::KnownServers::serverKey(server.host(), server.port());
    const QString wrong = QStringLiteral("Q7ZK-M3WD-R5TB-H2NC-X6PA-J4LE-VGSY-UFKO-N3BI-W7TR-DQ5X-ZAHM-E2PQ");
    const gui::ServerEntry wrongPin{QStringLiteral("Wrong pin"), server.host(), server.port(), {}, wrong, {}, {}};
    // Typed in lower case and without dashes: the list keeps what the server's identity is, not its spelling.
    const QString typed = server.fingerprint().toLower().remove(u'-');
    const gui::ServerEntry rightPin{QStringLiteral("Right pin"), server.host(), server.port(), {}, typed, {}, {}};
    m_settings->setServers({wrongPin, rightPin});
    client::ServerTrust &trust = client::ServerTrust::instance();
    QSignalSpy unknown(&trust, &client::ServerTrust::unknownServer);
    QSignalSpy changed(&trust, &client::ServerTrust::identityChanged);
    auto window = newWindow();
    const QString address = wrongPin.address();
    // A question would block the test: answer any with Cancel, and fail below.
    QStringList asked;
    QTimer answerer;
    answerer.setInterval(20);
    connect(&answerer, &QTimer::timeout, this, [&asked] {
        if (auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget()); box && box->isVisible()) {
            asked << box->text();
            box->reject();
        }
    });
    answerer.start();

    connectToNamed(window.get(), QStringLiteral("Wrong pin (%1)").arg(address));
    QTRY_VERIFY_WITH_TIMEOUT(window->link()->status() != gui::ServerLink::Status::Disconnected
                                 && window->link()->status() != gui::ServerLink::Status::Connecting,
                             30000);
    QVERIFY(window->link()->status() != gui::ServerLink::Status::Connected);
    const QString said = window->findChild<gui::ConnectBar *>()->stateText();
    QVERIFY2(said.contains(wrong) && said.contains(QStringLiteral("nothing was sent")), qPrintable(said));
    QVERIFY(trust.knownServers().fingerprintFor(key).isEmpty());

    connectToNamed(window.get(), QStringLiteral("Right pin (%1)").arg(address));
    QTRY_COMPARE_WITH_TIMEOUT(window->link()->status(), gui::ServerLink::Status::Connected, 30000);
    QTRY_VERIFY_WITH_TIMEOUT(!window->browser()->model()->isLoading(), 30000);
    QCOMPARE(window->browser()->model()->rowCount(), 1);
    QCOMPARE(trust.knownServers().fingerprintFor(key), server.fingerprint());
    QCOMPARE(unknown.size(), 0); // no Trust/Cancel question, for either
    QCOMPARE(changed.size(), 0);
    QVERIFY2(asked.isEmpty(), qPrintable(asked.join(u'\n')));
}

QTEST_MAIN(TestDownloaderTrust)
#include "tst_downloadertrust.moc"
