// Ferry Downloader and the identities of a server's mirrors (File → Servers…, Mirrors), offscreen
// against real servers over TLS: a mirror whose key was rotated since it was pinned stops the whole
// download, loudly, with nothing renamed into place and no way on but removing the pin; a mirror never
// seen before is left out of that file, its fingerprint in the reason, while the other server finishes
// it. (ferry-get's side of both: tests/client/tst_ferryget_verified.cpp.)
#include "guitesthelpers.h"
#include "serverprocess.h"
#include "testtree.h"

#include "mainwindow.h"
#include "serverbook.h"
#include "settings.h"
#include "transfermodel.h"
#include "transferview.h"

#include "client/downloadjob.h"
#include "client/downloadqueue.h"
#include "client/knownservers.h"
#include "client/servertrust.h"

#include <QAbstractButton>
#include <QAction>
#include <QApplication>
#include <QFile>
#include <QItemSelectionModel>
#include <QMessageBox>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QTreeView>

#include <memory>

using namespace ferry;
using client::DownloadJob;

namespace {

constexpr qint64 Chunk = 4 * 1024 * 1024; // the server's manifest chunk size
const QStringList TlsOnly{QStringLiteral("--plaintext"), QStringLiteral("off")};

QString keyOf(const ServerProcess &server) { return client::KnownServers::serverKey(server.host(), server.port()); }

// A message box the window opened: its text and its buttons' texts.
struct Asked {
    QString text;
    QStringList buttons;
};

} // namespace

class TestDownloaderMirrorTrust : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void cleanup();
    void rotatedMirrorStopsTheDownloadHard();
    void unknownMirrorIsLeftOutWithItsFingerprint();

private:
    // A TLS server that was pinned and then had its key rotated (docs/SECURITY.md, "Rotating the
    // server's key"): started with a state directory of its own, stopped, its key and certificate
    // removed, started again on the same port, where it makes a new identity. *pinned is the old one.
    void startRotated(std::unique_ptr<ServerProcess> &server, QString *pinned);
    // The window of `server`'s entry in the server list, with `mirror` as its only mirror.
    std::unique_ptr<gui::MainWindow> windowWithMirror(const ServerProcess &server, const ServerProcess &mirror);
    // Answers every message box the window opens with its Cancel or Close button (recorded in m_asked).
    void answerMessageBoxes();
    QModelIndex rowOf(gui::MainWindow *window, int column) const;

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<QTemporaryDir> m_rotatedState;
    std::unique_ptr<ferrytest::TestTree> m_tree;
    std::unique_ptr<gui::Settings> m_settings;
    std::unique_ptr<QTimer> m_answerer;
    QList<Asked> m_asked;
};

void TestDownloaderMirrorTrust::init()
{
    if (ServerProcess::defaultProgram().isEmpty())
        QSKIP("ferry-server is not built");
    m_dir = std::make_unique<QTemporaryDir>();
    m_rotatedState = std::make_unique<QTemporaryDir>();
    m_tree = std::make_unique<ferrytest::TestTree>();
    QVERIFY(m_dir->isValid() && m_rotatedState->isValid() && m_tree->isValid());
    m_settings = std::make_unique<gui::Settings>(m_dir->filePath(QStringLiteral("downloader.ini")));
    m_settings->setDownloadFolder(m_dir->filePath(QStringLiteral("downloads")));
    client::ServerTrust::instance().setKnownServersPath(m_dir->filePath(QStringLiteral("known-servers")));
    client::ServerTrust::instance().setPlaintext(false);
    m_asked.clear();
}

void TestDownloaderMirrorTrust::cleanup()
{
    m_answerer.reset();
}

void TestDownloaderMirrorTrust::startRotated(std::unique_ptr<ServerProcess> &server, QString *pinned)
{
    const QString state = m_rotatedState->path();
    const QStringList args = TlsOnly + QStringList{QStringLiteral("--state-dir"), state};
    quint16 port = 0;
    {
        ServerProcess before(m_tree->root(), args);
        QVERIFY2(before.start(), qPrintable(before.diagnostics()));
        *pinned = before.fingerprint();
        port = before.port();
        QCOMPARE(before.stop(), 0);
    }
    QVERIFY(QFile::remove(state + QStringLiteral("/identity.key")));
    QVERIFY(QFile::remove(state + QStringLiteral("/identity.crt")));
    server = std::make_unique<ServerProcess>(
        m_tree->root(), args + QStringList{QStringLiteral("--listen"), QStringLiteral("127.0.0.1:%1").arg(port)});
    QVERIFY2(server->start(), qPrintable(server->diagnostics()));
    QCOMPARE(server->port(), port);
    QVERIFY(!server->fingerprint().isEmpty() && server->fingerprint() != *pinned);
}

std::unique_ptr<gui::MainWindow> TestDownloaderMirrorTrust::windowWithMirror(const ServerProcess &server,
                                                                             const ServerProcess &mirror)
{
    gui::ServerEntry entry;
    entry.name = QStringLiteral("Releases");
    entry.host = server.host();
    entry.port = server.port();
    entry.mirrors = QStringLiteral("%1:%2").arg(mirror.host()).arg(mirror.port());
    m_settings->setServers({entry});
    return guitest::shownWindow(m_settings.get(), guitest::Shown::Exposed, QSize(1000, 600));
}

void TestDownloaderMirrorTrust::answerMessageBoxes()
{
    m_answerer = std::make_unique<QTimer>();
    m_answerer->setInterval(20);
    connect(m_answerer.get(), &QTimer::timeout, this, [this] {
        auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
        if (!box || !box->isVisible())
            return;
        Asked asked{box->text(), {}};
        for (QAbstractButton *button : box->buttons())
            asked.buttons << button->text().remove(u'&');
        m_asked << asked;
        if (QAbstractButton *cancel = box->button(QMessageBox::Cancel))
            cancel->click();
        else
            box->button(QMessageBox::Close)->click();
    });
    m_answerer->start();
}

QModelIndex TestDownloaderMirrorTrust::rowOf(gui::MainWindow *window, int column) const
{
    return window->transferView()->view()->model()->index(0, column);
}

// The pinned server would serve the file alone (slowly, so that the mirror is met first); the mirror
// presents another key than its pin. That is SSH's "REMOTE HOST IDENTIFICATION HAS CHANGED": the job
// fails at once, says so in its row, keeps nothing in place of the file, and the one way on the row
// offers, Retry, meets the same stop until the pin is removed (Preferences → Known servers).
void TestDownloaderMirrorTrust::rotatedMirrorStopsTheDownloadHard()
{
    const QString remote = m_tree->addFile(QStringLiteral("c/file.bin"), uint64_t(2 * Chunk + 7), 38);
    QVERIFY(!remote.isEmpty());
    ServerProcess good(m_tree->root(), TlsOnly + QStringList{QStringLiteral("--rate-limit"), QStringLiteral("1M")});
    QVERIFY2(good.start(), qPrintable(good.diagnostics()));
    std::unique_ptr<ServerProcess> mirror;
    QString pinned;
    startRotated(mirror, &pinned);
    if (QTest::currentTestFailed())
        return;
    client::KnownServers &known = client::ServerTrust::instance().knownServers();
    QVERIFY(known.add(keyOf(good), good.fingerprint()));
    QVERIFY(known.add(keyOf(*mirror), pinned));
    answerMessageBoxes();
    auto window = windowWithMirror(good, *mirror);
    DownloadJob *job = window->queue()->addFile(client::FerryUrl(good.host(), good.port(), QStringLiteral("c/file.bin")),
                                                m_settings->downloadFolder());
    QCOMPARE(job->mirrors().size(), 1);
    QTRY_VERIFY_WITH_TIMEOUT(job->isFinished(), 30000);
    QCOMPARE(job->state(), DownloadJob::State::Failed);
    QCOMPARE(job->error(), client::ErrorKind::IdentityChanged);
    QVERIFY(!QFile::exists(job->localPath()));

    // The row says it on its one line; its tooltip has the whole warning, both identities in it.
    const QString status = rowOf(window.get(), gui::TransferModel::StatusColumn).data().toString();
    QVERIFY2(!status.contains(u'\n') && status.contains(QStringLiteral("HAS CHANGED"))
                 && status.contains(keyOf(*mirror)),
             qPrintable(status));
    const QString tip = rowOf(window.get(), gui::TransferModel::NameColumn).data(Qt::ToolTipRole).toString();
    QVERIFY2(tip.contains(pinned) && tip.contains(mirror->fingerprint()), qPrintable(tip));
    // The window's warning offers nothing but Close.
    QTRY_VERIFY_WITH_TIMEOUT(!m_asked.isEmpty(), 10000);
    QVERIFY2(m_asked.first().text.contains(QStringLiteral("HAS CHANGED")), qPrintable(m_asked.first().text));
    QCOMPARE(m_asked.first().buttons.size(), 1);

    // Nothing on the row goes on past the pin: it is Failed, not Paused, and Retry stops the same way.
    gui::TransferView *transfers = window->transferView();
    transfers->view()->selectionModel()->select(rowOf(window.get(), 0),
                                                QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    QVERIFY(!transfers->resumeAction()->isEnabled());
    QVERIFY(transfers->retryAction()->isEnabled());
    QSignalSpy finished(job, &DownloadJob::finished);
    transfers->retryAction()->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 30000);
    QCOMPARE(job->state(), DownloadJob::State::Failed);
    QCOMPARE(job->error(), client::ErrorKind::IdentityChanged);
    QVERIFY(!QFile::exists(job->localPath()));
    QCOMPARE(known.fingerprintFor(keyOf(*mirror)), pinned); // untouched
    // Warned again, and answered here: no warning is left to come up in a later window.
    QTRY_COMPARE_WITH_TIMEOUT(m_asked.size(), 2, 10000);
    QCOMPARE(m_asked.last().buttons.size(), 1);
}

// A mirror nobody vouches for is a first contact, not a changed identity: the window asks about it (and
// is told Cancel), the mirror is left out of this file with the reason that names its fingerprint, and
// the pinned server serves the whole file, verified.
void TestDownloaderMirrorTrust::unknownMirrorIsLeftOutWithItsFingerprint()
{
    const QString remote = m_tree->addFile(QStringLiteral("u/file.bin"), uint64_t(Chunk + 9), 39);
    QVERIFY(!remote.isEmpty());
    // Slow enough that the mirror's refusal comes before the file is whole: it is reported then.
    ServerProcess pinned(m_tree->root(), TlsOnly + QStringList{QStringLiteral("--rate-limit"), QStringLiteral("2M")});
    ServerProcess unknown(m_tree->root(), TlsOnly);
    QVERIFY2(pinned.start(), qPrintable(pinned.diagnostics()));
    QVERIFY2(unknown.start(), qPrintable(unknown.diagnostics()));
    client::KnownServers &known = client::ServerTrust::instance().knownServers();
    QVERIFY(known.add(keyOf(pinned), pinned.fingerprint()));
    answerMessageBoxes();
    auto window = windowWithMirror(pinned, unknown);
    DownloadJob *job = window->queue()->addFile(
        client::FerryUrl(pinned.host(), pinned.port(), QStringLiteral("u/file.bin")), m_settings->downloadFolder());
    QTRY_VERIFY_WITH_TIMEOUT(job->isFinished(), 30000);
    QCOMPARE(job->state(), DownloadJob::State::Done);
    QVERIFY(job->isVerified());
    QString why;
    QVERIFY2(ferrytest::sameContent(remote, job->localPath(), &why), qPrintable(why));

    QCOMPARE(job->droppedSources().size(), 1);
    const QString dropped = job->droppedSources().first();
    QVERIFY2(dropped.contains(keyOf(unknown)) && dropped.contains(unknown.fingerprint()), qPrintable(dropped));
    const QString tip = rowOf(window.get(), gui::TransferModel::NameColumn).data(Qt::ToolTipRole).toString();
    QVERIFY2(tip.contains(QStringLiteral("Not used: ")) && tip.contains(unknown.fingerprint()), qPrintable(tip));
    QVERIFY(rowOf(window.get(), gui::TransferModel::StatusColumn).data().toString().startsWith(
        QStringLiteral("Verified")));
    // The window asked about it once, with its fingerprint, and Cancel left it unpinned.
    QCOMPARE(m_asked.size(), 1);
    QVERIFY2(m_asked.first().text.contains(unknown.fingerprint().left(34)), qPrintable(m_asked.first().text));
    QVERIFY(known.fingerprintFor(keyOf(unknown)).isEmpty());
}

QTEST_MAIN(TestDownloaderMirrorTrust)
#include "tst_downloadermirrortrust.moc"
