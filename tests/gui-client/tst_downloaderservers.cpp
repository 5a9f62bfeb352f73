// Servers remembered by name: imported from a link, edited, connected to, kept across
// restarts, offered in the Server field. Offscreen, against a real server.
#include "dialoganswerer.h"
#include "serverprocess.h"
#include "testtree.h"

#include "connectbar.h"
#include "mainwindow.h"
#include "remotebrowser.h"
#include "remotemodel.h"
#include "serverbook.h"
#include "serverlink.h"
#include "serversdialog.h"
#include "settings.h"

#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace ferry;
using gui::MainWindow;
using gui::ServerEntry;

namespace {
// A server identity in its canonical form (client/fingerprint.h).
const QString Pin = QStringLiteral("Q7ZK-M3WD-R5TB-H2NC-X6PA-J4LE-VGSY-UFKO-N3BI-W7TR-DQ5X-ZAHM-E2PQ");
} // namespace

class TestDownloaderServers : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void linkBecomesAServer_data();
    void linkBecomesAServer();
    void badLinkIsRefused();
    void serverIsImportedNamedAndConnected();
    void emptyListSaysHowToAddAServer();

private:
    ferrytest::TestTree m_tree;
    std::unique_ptr<ServerProcess> m_server;
    QTemporaryDir m_dir;
};

void TestDownloaderServers::initTestCase()
{
    if (ServerProcess::defaultProgram().isEmpty())
        QSKIP("ferry-server is not built");
    QVERIFY(m_tree.isValid());
    QVERIFY(!m_tree.addFile(QStringLiteral("pub/iso/disk.img"), 1000, 1).isEmpty());
    m_server = std::make_unique<ServerProcess>(m_tree.root());
    QVERIFY2(m_server->start(), qPrintable(m_server->diagnostics()));
}

void TestDownloaderServers::linkBecomesAServer_data()
{
    QTest::addColumn<QString>("link");
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");
    QTest::addColumn<QString>("folder");
    QTest::addColumn<QString>("pin");
    QTest::addColumn<QString>("token");
    QTest::newRow("folder") << "ferry://files.example.org/pub/iso/" << "files.example.org" << 4646 << "pub/iso" << ""
                            << "";
    QTest::newRow("file: its folder") << "ferry://h:5000/pub/iso/disk.img" << "h" << 5000 << "pub/iso" << "" << "";
    QTest::newRow("root") << "ferry://h:5000" << "h" << 5000 << "" << "" << "";
    QTest::newRow("capability") << "ferry://h:7/share/?fp=" + Pin + "&token=k3y%2Bz" << "h" << 7 << "share" << Pin
                                << "k3y+z";
    QTest::newRow("pin as typed") << "ferry://h:7/?fp=" + Pin.toLower().remove(u'-') << "h" << 7 << "" << Pin << "";
}

void TestDownloaderServers::linkBecomesAServer()
{
    QFETCH(QString, link);
    QString error;
    const auto entry = ServerEntry::fromLink(link, &error);
    QVERIFY2(entry, qPrintable(error));
    QTEST(entry->host, "host");
    QTEST(int(entry->port), "port");
    QTEST(entry->folder, "folder");
    QTEST(entry->pin, "pin");
    QTEST(entry->token, "token");
    QCOMPARE(entry->name, entry->host);
}

void TestDownloaderServers::badLinkIsRefused()
{
    QString error;
    QVERIFY(!ServerEntry::fromLink(QStringLiteral("http://h/x"), &error));
    QVERIFY2(error.endsWith(u'.') && error.contains(QStringLiteral("ferry://")), qPrintable(error));
    // A pin that is no identity would refuse every connection later: refused now, in one sentence.
    error.clear();
    QVERIFY(!ServerEntry::fromLink(QStringLiteral("ferry://h:7/?fp=SHA256:ab12cd"), &error));
    QVERIFY2(error.endsWith(u'.') && error.contains(QStringLiteral("identity")), qPrintable(error));
}

void TestDownloaderServers::serverIsImportedNamedAndConnected()
{
    const QString ini = m_dir.filePath(QStringLiteral("downloader.ini"));
    const QString address = QStringLiteral("%1:%2").arg(m_server->host()).arg(m_server->port());
    {
        gui::Settings settings(ini);
        MainWindow window(&settings);
        window.show();
        window.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&window));
        guitest::DialogAnswerer answer([&address](QDialog *dialog) {
            auto *servers = qobject_cast<gui::ServersDialog *>(dialog);
            QVERIFY(servers);
            QVERIFY(servers->importLink(
                QStringLiteral("ferry://%1/pub/iso/disk.img?fp=%2").arg(address, Pin.toLower())));
            auto *name = dialog->findChild<QLineEdit *>(QStringLiteral("nameEdit"));
            name->setText(QStringLiteral("Mirror"));
            emit name->editingFinished();
            QCOMPARE(dialog->findChild<QListWidget *>()->currentItem()->text(), QStringLiteral("Mirror"));
            dialog->findChild<QPushButton *>(QStringLiteral("connectServerButton"))->click();
        });
        QTest::keyClick(&window, Qt::Key_M, Qt::ControlModifier | Qt::ShiftModifier);
        QVERIFY2(answer.seen, "Ctrl+Shift+M did not open the server list");
        QTRY_COMPARE_WITH_TIMEOUT(window.link()->status(), gui::ServerLink::Status::Connected, 15000);
        QTRY_COMPARE_WITH_TIMEOUT(window.browser()->path(), QStringLiteral("pub/iso"), 15000);
        QTRY_COMPARE_WITH_TIMEOUT(window.browser()->model()->rowCount(), 1, 15000);
    }
    gui::Settings reread(ini);
    const QList<ServerEntry> servers = reread.servers();
    QCOMPARE(servers.size(), 1);
    QCOMPARE(servers.first().name, QStringLiteral("Mirror"));
    QCOMPARE(servers.first().folder, QStringLiteral("pub/iso"));
    QCOMPARE(servers.first().pin, Pin); // in the canonical form
    // The next start offers it by name in the Server field; choosing it fills in its link.
    MainWindow window(&reread);
    auto *field = window.findChild<QComboBox *>(QStringLiteral("serverField"));
    const int index = field->findText(QStringLiteral("Mirror (%1)").arg(address));
    QVERIFY(index >= 0);
    emit field->activated(index);
    QCOMPARE(field->currentText(), QStringLiteral("ferry://%1/pub/iso/?fp=%2").arg(address, Pin));
}

// No server remembered yet: in the list's place, how to add one (Add, Import Link…) and where mirrors
// go. The list is back once there is a server, the hint once the last one is removed.
// FERRY_SCREENSHOTS=DIR saves the empty dialog there.
void TestDownloaderServers::emptyListSaysHowToAddAServer()
{
    gui::Settings settings(m_dir.filePath(QStringLiteral("empty.ini")));
    gui::ServersDialog dialog(&settings);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    auto *hint = dialog.findChild<QLabel *>(QStringLiteral("serversEmptyHint"));
    auto *list = dialog.findChild<QListWidget *>(QStringLiteral("serverList"));
    QVERIFY(hint && list);
    QVERIFY(hint->isVisible() && !list->isVisible());
    for (const QString &word : {QStringLiteral("Add"), QStringLiteral("Import Link"), QStringLiteral("Mirrors")})
        QVERIFY2(hint->text().contains(word), qPrintable(hint->text()));
    if (const QString dir = qEnvironmentVariable("FERRY_SCREENSHOTS"); !dir.isEmpty())
        QVERIFY(dialog.grab().save(dir + QStringLiteral("/downloader-servers-empty.png")));

    auto *add = dialog.findChild<QPushButton *>(QStringLiteral("addButton"));
    QVERIFY(add);
    add->click();
    QVERIFY(list->isVisible() && !hint->isVisible());
    QCOMPARE(list->count(), 1);
    dialog.findChild<QPushButton *>(QStringLiteral("removeButton"))->click();
    QCOMPARE(list->count(), 0);
    QVERIFY(hint->isVisible() && !list->isVisible());
}

QTEST_MAIN(TestDownloaderServers)
#include "tst_downloaderservers.moc"
