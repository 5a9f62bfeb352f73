// Notifications of finished and failed downloads, and overall progress in the title.
// Offscreen there is no tray: the notifications show in the window, as on such desktops.
#include "guitesthelpers.h"
#include "notificationservice.h"
#include "serverprocess.h"
#include "testtree.h"

#include "desktopnotifier.h"
#include "mainwindow.h"
#include "notificationbar.h"
#include "notifier.h"
#include "preferencesdialog.h"
#include "settings.h"
#include "translations.h"

#include "client/downloadjob.h"
#include "client/downloadqueue.h"
#include "client/ferryurl.h"

#include <QCheckBox>
#include <QDesktopServices>
#include <QPushButton>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>

#include <memory>

using namespace ferry;
using client::DownloadJob;
using gui::MainWindow;

// Stands in for the desktop: records the URLs the app asks it to open.
class UrlCatcher : public QObject
{
    Q_OBJECT
public:
    QList<QUrl> urls;
public slots:
    void open(const QUrl &url) { urls.append(url); }
};

class TestDownloaderNotify : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void finishedDownloadIsShownWithOpen();
    void manyFinishedMakeOneNotification();
    void failureIsShownAtOnce();
    void titleShowsOverallProgress();
    void trayChoiceIsRemembered();
    void withoutATrayTheDesktopServiceIsTold();
    void damagedSavedQueueIsShown();

private:
    std::unique_ptr<MainWindow> newWindow();
    QString link(const QString &path) const;
    DownloadJob *add(MainWindow *window, const QString &path);

    ferrytest::TestTree m_tree;
    std::unique_ptr<ServerProcess> m_server;
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<gui::Settings> m_settings;
    guitest::NotificationService m_service;
    QString m_serviceProblem; // why the service could not start, "" when it runs
};

void TestDownloaderNotify::initTestCase()
{
    if (ServerProcess::defaultProgram().isEmpty())
        QSKIP("ferry-server is not built");
    m_serviceProblem = m_service.start(); // before any window touches the session bus
    QVERIFY(gui::installTranslations());
    QVERIFY(m_tree.isValid());
    for (int i = 0; i < 5; ++i)
        QVERIFY(!m_tree.addFile(QStringLiteral("small/s%1.txt").arg(i), 1000 + i, 80 + i).isEmpty());
    QVERIFY(!m_tree.addFile(QStringLiteral("big.bin"), 8 * 1024 * 1024, 90).isEmpty());
    m_server = std::make_unique<ServerProcess>(m_tree.root(), QStringList{"--rate-limit", "1048576"});
    QVERIFY2(m_server->start(), qPrintable(m_server->diagnostics()));
}

void TestDownloaderNotify::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    m_settings = std::make_unique<gui::Settings>(m_dir->filePath(QStringLiteral("downloader.ini")));
    m_settings->setDownloadFolder(m_dir->filePath(QStringLiteral("downloads")));
}

std::unique_ptr<MainWindow> TestDownloaderNotify::newWindow()
{
    return guitest::shownWindow(m_settings.get());
}

QString TestDownloaderNotify::link(const QString &path) const
{
    return client::FerryUrl(m_server->host(), m_server->port(), path).toString();
}

DownloadJob *TestDownloaderNotify::add(MainWindow *window, const QString &path)
{
    return window->queue()->addFile(*client::FerryUrl::parse(link(path)), m_settings->downloadFolder());
}

void TestDownloaderNotify::finishedDownloadIsShownWithOpen()
{
    auto window = newWindow();
    gui::NotificationBar *bar = window->notificationBar();
    QVERIFY(!bar->isVisible());
    DownloadJob *job = add(window.get(), QStringLiteral("small/s0.txt"));
    QTRY_VERIFY_WITH_TIMEOUT(bar->isVisible(), 15000);
    QCOMPARE(job->state(), DownloadJob::State::Done);
    QVERIFY2(bar->text().contains(QStringLiteral("\u201cs0.txt\u201d is downloaded.")), qPrintable(bar->text()));
    UrlCatcher desktop;
    QDesktopServices::setUrlHandler(QStringLiteral("file"), &desktop, "open");
    const auto restore = qScopeGuard([] { QDesktopServices::unsetUrlHandler(QStringLiteral("file")); });
    auto *open = bar->findChild<QPushButton *>(QStringLiteral("notificationOpen"));
    QVERIFY(open->isVisible());
    open->click();
    QCOMPARE(desktop.urls, QList<QUrl>{QUrl::fromLocalFile(job->localPath())});
    QVERIFY(!bar->isVisible());
}

void TestDownloaderNotify::manyFinishedMakeOneNotification()
{
    auto window = newWindow();
    auto *notifier = window->findChild<gui::Notifier *>();
    QVERIFY(notifier);
    QSignalSpy notes(notifier, &gui::Notifier::notify);
    for (int i = 0; i < 5; ++i)
        add(window.get(), QStringLiteral("small/s%1.txt").arg(i));
    QVERIFY(notes.wait(15000));
    QTest::qWait(gui::Notifier::GatherMs + 500); // a second one would have come by now
    QCOMPARE(notes.size(), 1);
    QCOMPARE(notes.first().at(0).toString(), QStringLiteral("All downloads finished"));
    QCOMPARE(notes.first().at(1).toString(), QStringLiteral("5 downloads finished."));
    QVERIFY(notes.first().at(2).toString().isEmpty());
}

void TestDownloaderNotify::failureIsShownAtOnce()
{
    auto window = newWindow();
    add(window.get(), QStringLiteral("no/such/file.iso"));
    gui::NotificationBar *bar = window->notificationBar();
    QTRY_VERIFY_WITH_TIMEOUT(bar->isVisible(), 15000);
    QVERIFY2(bar->text().startsWith(QStringLiteral("Could not download \u201cfile.iso\u201d")),
             qPrintable(bar->text()));
    QVERIFY(!bar->findChild<QPushButton *>(QStringLiteral("notificationOpen"))->isVisible());
}

void TestDownloaderNotify::titleShowsOverallProgress()
{
    auto window = newWindow();
    DownloadJob *job = add(window.get(), QStringLiteral("big.bin"));
    static const QRegularExpression progress(QStringLiteral("^(\\d+)% \u2014 "));
    QTRY_VERIFY_WITH_TIMEOUT(job->receivedBytes() > 2 * 1024 * 1024, 30000);
    QTRY_VERIFY2(progress.match(window->windowTitle()).hasMatch(), qPrintable(window->windowTitle()));
    const int percent = progress.match(window->windowTitle()).captured(1).toInt();
    QVERIFY2(percent > 0 && percent < 100, qPrintable(window->windowTitle()));
    QVERIFY(window->windowTitle().endsWith(QStringLiteral("Ferry Downloader")));
    window->queue()->pauseAll();
    QTRY_VERIFY(!progress.match(window->windowTitle()).hasMatch());
}

void TestDownloaderNotify::trayChoiceIsRemembered()
{
    QVERIFY(!m_settings->showTrayIcon());
    gui::PreferencesDialog dialog(m_settings.get());
    dialog.findChild<QCheckBox *>(QStringLiteral("trayCheck"))->setChecked(true);
    dialog.accept();
    m_settings->sync();
    gui::Settings reread(m_dir->filePath(QStringLiteral("downloader.ini")));
    QVERIFY(reread.showTrayIcon());
}

// Offscreen there is no tray: a finished download and one that failed for good go to the desktop's
// notification service, as a desktop without a tray host (GNOME, dunst, mako) shows them.
void TestDownloaderNotify::withoutATrayTheDesktopServiceIsTold()
{
    if (!m_serviceProblem.isEmpty())
        QSKIP(qPrintable(m_serviceProblem));
    QVERIFY(gui::DesktopNotifier::isAvailable());
    m_service.received.clear();
    auto window = newWindow();
    QSignalSpy shown(window->desktopNotifier(), &gui::DesktopNotifier::shown);
    add(window.get(), QStringLiteral("small/s1.txt"));
    QTRY_COMPARE_WITH_TIMEOUT(m_service.received.size(), 1, 15000);
    const guitest::ReceivedNotification done = m_service.received.at(0);
    QCOMPARE(done.app, QStringLiteral("Ferry Downloader"));
    QVERIFY2(done.summary.endsWith(QStringLiteral("finished")), qPrintable(done.summary)); // "All downloads finished"
    QVERIFY2(done.body.contains(QStringLiteral("\u201cs1.txt\u201d is downloaded.")), qPrintable(done.body));
    QCOMPARE(done.hints.value(QStringLiteral("urgency")).toInt(), 1);
    QTRY_COMPARE_WITH_TIMEOUT(shown.size(), 1, 5000); // the service's answer came back
    add(window.get(), QStringLiteral("small/missing.txt"));
    QTRY_COMPARE_WITH_TIMEOUT(m_service.received.size(), 2, 15000);
    QCOMPARE(m_service.received.at(1).hints.value(QStringLiteral("urgency")).toInt(), 2); // critical: stays
}

// A saved queue cut short on disk, with an entry that names no clean path: the entry before the cut comes back,
// the window says what was lost, and the damaged text is kept beside what the next save writes.
void TestDownloaderNotify::damagedSavedQueueIsShown()
{
    const QString ini = m_dir->filePath(QStringLiteral("downloader.ini"));
    const QString kept = m_dir->filePath(QStringLiteral("downloads/kept.bin"));
    const QByteArray text = QStringLiteral(R"([{"url":"%1","localPath":"%2","state":"Paused"},)"
                                           R"({"url":"%1","localPath":"relative.bin"},{"url":"%1","localPa)")
                                .arg(link(QStringLiteral("big.bin")), kept)
                                .toUtf8();
    m_settings.reset();
    QSettings(ini, QSettings::IniFormat).setValue(QStringLiteral("transfers/queue"), text);
    m_settings = std::make_unique<gui::Settings>(ini);
    auto window = newWindow();
    QCOMPARE(window->queue()->count(), 1);
    QCOMPARE(window->queue()->jobAt(0)->localPath(), kept);
    QCOMPARE(window->queue()->jobAt(0)->state(), DownloadJob::State::Paused);
    gui::NotificationBar *bar = window->notificationBar();
    QVERIFY(bar->isVisible());
    QVERIFY2(bar->text().contains(QStringLiteral("the saved queue is damaged at byte")), qPrintable(bar->text()));
    QVERIFY2(bar->text().contains(QStringLiteral("big.bin: its file is not an absolute, clean path")),
             qPrintable(bar->text()));
    window.reset(); // saves the queue
    m_settings.reset();
    QCOMPARE(QSettings(ini, QSettings::IniFormat).value(QStringLiteral("transfers/queueDamaged")).toByteArray(), text);
}

QTEST_MAIN(TestDownloaderNotify)
#include "tst_downloadernotify.moc"
