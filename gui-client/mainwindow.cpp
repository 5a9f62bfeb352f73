#include "mainwindow.h"

#include "appinfo.h"
#include "confirmdialog.h"
#include "connectbar.h"
#include "notificationbar.h"
#include "notifier.h"
#include "preferencesdialog.h"
#include "queueactions.h"
#include "remotebrowser.h"
#include "remotemodel.h"
#include "securitylabel.h"
#include "serversdialog.h"
#include "settings.h"
#include "transfermodel.h"
#include "transferview.h"
#include "trayicon.h"
#include "desktopnotifier.h"
#include "tokenprompt.h"
#include "trustprompter.h"

#include "client/downloadjob.h"
#include "client/downloadqueue.h"
#include "client/knownservers.h"
#include "client/session.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QMenuBar>
#include <QMessageBox>
#include <QSplitter>
#include <QStatusBar>
#include <QTreeView>
#include <QVBoxLayout>

namespace ferry::gui {

using client::DownloadJob;

MainWindow::MainWindow(Settings *settings, QWidget *parent)
    : QMainWindow(parent)
    , m_settings(settings)
    , m_queue(new client::DownloadQueue(this))
    , m_link(new ServerLink(m_queue, this))
    , m_transferModel(new TransferModel(m_queue, this))
    , m_connectBar(new ConnectBar(this))
    , m_browser(new RemoteBrowser(m_link->session(), this))
    , m_transferView(new TransferView(m_transferModel, settings, this))
    , m_splitter(new QSplitter(Qt::Vertical, this))
    , m_totals(new QLabel(this))
    , m_security(new SecurityLabel(this))
    , m_trust(new TrustPrompter(this))
    , m_notificationBar(new NotificationBar(this))
    , m_tokenPrompt(new TokenPrompt(this))
    , m_notifier(new Notifier(m_queue, this))
    , m_tray(new TrayIcon(this))
    , m_desktopNotifier(new DesktopNotifier(this))
{
    buildLayout();
    buildMenus();
    connectParts();
    m_connectBar->setServers(m_settings->servers(), m_settings->recentServers());
    applyPreferences();
    ServerBook::applyMirrors(m_settings->servers(), m_queue);
    ServerBook::applyTokens(m_settings->servers());
    restoreQueue();
    restoreLayout();
    updateTotals();
}

MainWindow::~MainWindow()
{
    saveState();
}

void MainWindow::buildLayout()
{
    setWindowTitle(tr("Ferry Downloader"));
    setWindowIcon(QIcon::fromTheme(QLatin1String(DesktopId)));
    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    m_splitter->setObjectName(QStringLiteral("mainSplitter"));
    m_splitter->addWidget(m_browser);
    m_splitter->addWidget(m_transferView);
    m_splitter->setStretchFactor(0, 3);
    m_splitter->setStretchFactor(1, 2);
    m_splitter->setChildrenCollapsible(false);
    layout->addWidget(m_connectBar);
    layout->addWidget(m_tokenPrompt);
    layout->addWidget(m_splitter, 1);
    layout->addWidget(m_notificationBar);
    setCentralWidget(central);
    m_totals->setObjectName(QStringLiteral("totalsLabel"));
    statusBar()->addPermanentWidget(m_security);
    statusBar()->addPermanentWidget(m_totals);
}

// Signals between the parts; none of them knows the others.
void MainWindow::connectParts()
{
    m_saveTimer.setSingleShot(true);
    m_saveTimer.setInterval(1000); // one write per burst of state changes
    connect(&m_saveTimer, &QTimer::timeout, this, &MainWindow::saveState);
    connect(m_connectBar, &ConnectBar::connectRequested, this, &MainWindow::connectTo);
    connect(m_connectBar, &ConnectBar::retryRequested, this, [this] {
        m_link->retry();
        m_browser->reload();
    });
    connect(m_link, &ServerLink::statusChanged, this, &MainWindow::onStatusChanged);
    connect(m_trust, &TrustPrompter::trusted, this, [this](const QString &server) {
        if (server == m_security->server()) { // trusted just now: connect again, as Retry would
            m_link->retry();
            m_browser->reload();
        }
    });
    connect(m_link->session(), &client::Session::statReceived, this, &MainWindow::onStat);
    connect(m_link->session(), &client::Session::requestFailed, this,
            [this](quint64 requestId, client::ErrorKind, const QString &why) {
                if (m_openRequests.remove(requestId))
                    statusBar()->showMessage(tr("Could not open the link: %1").arg(why), 15000);
            });
    connect(m_browser, &RemoteBrowser::downloadRequested, this,
            [this](const QList<client::RemoteEntry> &files, const QStringList &folders) {
                download(files, folders, m_settings->downloadFolder());
            });
    connect(m_browser, &RemoteBrowser::downloadToRequested, this, &MainWindow::downloadTo);
    connect(m_browser, &RemoteBrowser::downloadAsRequested, this, &MainWindow::downloadAs);
    connect(m_browser, &RemoteBrowser::accessDenied, this,
            [this](const QString &why) { m_tokenPrompt->ask(m_link->address(), why); });
    connect(m_tokenPrompt, &TokenPrompt::entered, this, &MainWindow::useToken);
    connect(m_transferView, &TransferView::linksDropped, this, &MainWindow::openLinks);
    connect(m_transferModel, &TransferModel::totalsChanged, this, &MainWindow::updateTotals);
    connect(m_notifier, &Notifier::notify, this, &MainWindow::onNotify);
    connect(m_queue, &client::DownloadQueue::jobAdded, this, &MainWindow::watchJob);
    connect(m_queue, &client::DownloadQueue::jobRemoved, this, &MainWindow::scheduleSave);
    connect(m_queue, &client::DownloadQueue::addFailed, this,
            [this](const QString &url, client::ErrorKind, const QString &why) {
                statusBar()->showMessage(tr("Could not add %1: %2").arg(url, why), 10000);
            });
}

void MainWindow::buildMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *connectAction = file->addAction(tr("&Connect to Server…"), this, [this] {
        m_connectBar->findChild<QWidget *>(QStringLiteral("serverField"))->setFocus();
    });
    connectAction->setShortcut(QKeySequence(tr("Ctrl+L")));
    file->addAction(tr("&Servers…"), QKeySequence(tr("Ctrl+Shift+M")), this, &MainWindow::showServers)
        ->setObjectName(QStringLiteral("serversAction"));
    // Only some platforms bind the standard key (macOS, KDE); elsewhere the menu showed none at all.
    const QKeySequence preferencesKey =
        QKeySequence::keyBindings(QKeySequence::Preferences).value(0, QKeySequence(tr("Ctrl+,")));
    file->addAction(tr("&Preferences…"), preferencesKey, this, &MainWindow::showPreferences)
        ->setObjectName(QStringLiteral("preferencesAction"));
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QMenu *transfers = menuBar()->addMenu(tr("&Transfers"));
    TransferView *v = m_transferView;
    transfers->addActions({v->pauseAction(), v->resumeAction(), v->retryAction(), v->cancelAction()});
    transfers->addSeparator();
    transfers->addActions(v->queueActions()->actions());
    transfers->addSeparator();
    transfers->addActions({v->openFileAction(), v->openFolderAction()});
    transfers->addSeparator();
    transfers->addActions({v->copyLinkAction()});
    transfers->addSeparator();
    transfers->addActions({v->removeAction(), v->removeWithFileAction(), v->clearFinishedAction()});

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About Ferry Downloader"), this, [this] {
        QMessageBox::about(this, tr("About Ferry Downloader"),
                           tr("<b>Ferry Downloader</b> %1<br>Browse a Ferry server and download its files.")
                               .arg(QApplication::applicationVersion()));
    });
}

void MainWindow::restoreLayout()
{
    if (!restoreGeometry(m_settings->windowState(QStringLiteral("geometry"))))
        resize(1000, 680);
    m_splitter->restoreState(m_settings->windowState(QStringLiteral("splitter")));
    // A layout saved for other columns (another version's) is not there to restore: the defaults stay.
    m_browser->view()->header()->restoreState(
        m_settings->headerState(QStringLiteral("remoteHeader"), RemoteModel::ColumnLayout));
    m_transferView->view()->header()->restoreState(
        m_settings->headerState(QStringLiteral("transferHeader"), TransferModel::ColumnLayout));
}

// What a damaged queue file cost is said once, in the window: the entries that could be read are back.
void MainWindow::restoreQueue()
{
    QString damage;
    QStringList dropped = m_queue->restoreState(m_settings->queue(&damage));
    if (!damage.isEmpty())
        dropped.prepend(damage);
    if (!dropped.isEmpty())
        m_notificationBar->showMessage(tr("Saved downloads"),
                                       tr("Not all saved downloads could be restored: %1").arg(dropped.join(u"; ")),
                                       QString(), true);
}

void MainWindow::saveState()
{
    m_saveTimer.stop();
    m_settings->setQueue(m_queue->saveState());
    m_settings->setWindowState(QStringLiteral("geometry"), saveGeometry());
    m_settings->setWindowState(QStringLiteral("splitter"), m_splitter->saveState());
    m_settings->setHeaderState(QStringLiteral("remoteHeader"), RemoteModel::ColumnLayout,
                               m_browser->view()->header()->saveState());
    m_settings->setHeaderState(QStringLiteral("transferHeader"), TransferModel::ColumnLayout,
                               m_transferView->view()->header()->saveState());
    m_settings->sync();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (!confirmQuit()) {
        event->ignore();
        return;
    }
    saveState();
    event->accept();
}

// Nothing is lost by quitting (downloads resume from their .part files), but a
// download that stops may surprise: ask, unless told not to.
bool MainWindow::confirmQuit()
{
    const int active = m_queue->activeCount();
    if (active == 0 || !m_settings->asks(Settings::Question::QuitWhileDownloading))
        return true;
    ConfirmDialog dialog(tr("Quit while %n download(s) are running?", nullptr, active),
                         tr("They stop now and resume from where they stopped the next time Ferry Downloader "
                            "starts."),
                         tr("&Quit"), this);
    if (dialog.exec() != QDialog::Accepted)
        return false;
    if (dialog.dontAskAgain())
        m_settings->setAsks(Settings::Question::QuitWhileDownloading, false);
    return true;
}

void MainWindow::applyPreferences()
{
    m_queue->setMaxConcurrent(m_settings->maxConcurrent());
    m_queue->setExistingFilePolicy(m_settings->existingFilePolicy());
    m_queue->setSpeedLimit(m_settings->speedLimit());
    m_tray->setEnabled(m_settings->showTrayIcon());
}

void MainWindow::showServers()
{
    ServersDialog dialog(m_settings, this);
    connect(&dialog, &ServersDialog::connectRequested, this, &MainWindow::connectTo);
    dialog.exec();
    ServerBook::applyMirrors(m_settings->servers(), m_queue);
    ServerBook::applyTokens(m_settings->servers());
    m_connectBar->setServers(m_settings->servers(), m_settings->recentServers());
}

void MainWindow::showPreferences()
{
    PreferencesDialog dialog(m_settings, this);
    if (dialog.exec() == QDialog::Accepted)
        applyPreferences();
}

void MainWindow::downloadTo(const QList<client::RemoteEntry> &files, const QStringList &folders)
{
    // From the download folder, or from home while it does not exist yet.
    const QString start =
        QFileInfo(m_settings->downloadFolder()).isDir() ? m_settings->downloadFolder() : QDir::homePath();
    const QString folder = QFileDialog::getExistingDirectory(this, tr("Download To"), start);
    if (!folder.isEmpty())
        download(files, folders, folder);
}

void MainWindow::download(const QList<client::RemoteEntry> &files, const QStringList &folders,
                          const QString &destination)
{
    m_scrollToNewRow = true; // the row of what the user just asked for comes into view
    for (const client::RemoteEntry &file : files)
        m_queue->addFile(m_link->urlFor(file.name), destination, file.size);
    for (const QString &path : folders)
        m_queue->add(m_link->urlFor(path), destination);
    const qsizetype count = files.size() + folders.size();
    statusBar()->showMessage(tr("Added %n download(s) to %1", nullptr, int(count)).arg(destination), 5000);
}

// A file manager chose the path (Direct Save): the queue still treats an existing file as the
// preferences say. A folder's path ends in its own name (DirectSaveMimeData::Naming::Fixed).
void MainWindow::downloadAs(const client::RemoteEntry &file, const QString &localPath)
{
    if (file.isDirectory()) {
        download({}, {file.name}, QFileInfo(localPath).path());
        return;
    }
    m_scrollToNewRow = true;
    m_queue->addFileAs(m_link->urlFor(file.name), localPath, file.size);
    statusBar()->showMessage(tr("Added %n download(s) to %1", nullptr, 1).arg(QFileInfo(localPath).path()), 5000);
}

void MainWindow::onStatusChanged(ServerLink::Status status, const QString &detail)
{
    switch (status) {
    case ServerLink::Status::Disconnected:
        m_connectBar->setState(ConnectBar::State::Disconnected, detail);
        break;
    case ServerLink::Status::Connecting:
        m_connectBar->setState(ConnectBar::State::Connecting, detail);
        break;
    case ServerLink::Status::Connected:
        m_connectBar->setState(ConnectBar::State::Connected, detail);
        // The server that answered, which in a server list need not be the first.
        m_security->setServer(client::KnownServers::serverKey(m_link->session()->host(), m_link->session()->port()));
        m_settings->addRecentServer(m_link->serversText());
        m_connectBar->setServers(m_settings->servers(), m_settings->recentServers());
        break;
    case ServerLink::Status::Unreachable:
        m_connectBar->setState(ConnectBar::State::Unreachable, detail);
        break;
    case ServerLink::Status::Lost:
        m_connectBar->setState(ConnectBar::State::Lost, detail);
        break;
    }
    // Only a connection there now earns the lock; the last one's protection is history (its tooltip).
    m_security->setConnected(status == ServerLink::Status::Connected);
    const bool down = status == ServerLink::Status::Unreachable || status == ServerLink::Status::Lost;
    if (down && m_link->session()->error() == client::ErrorKind::IdentityChanged) {
        m_security->setServer(client::KnownServers::serverKey(m_link->session()->host(), m_link->session()->port()));
        m_security->setRefused(true); // no lock of the last good connection next to the warning
    }
}

void MainWindow::watchJob(DownloadJob *job, int row)
{
    if (std::exchange(m_scrollToNewRow, false))
        m_transferView->view()->scrollTo(m_transferModel->index(row, 0));
    connect(job, &DownloadJob::stateChanged, this, &MainWindow::scheduleSave);
    scheduleSave();
}

void MainWindow::scheduleSave()
{
    if (!m_saveTimer.isActive())
        m_saveTimer.start();
}

void MainWindow::updateTotals()
{
    const TransferModel::Totals t = m_transferModel->totals();
    const QLocale locale;
    QStringList parts;
    const bool idle = t.active == 0 && t.waiting == 0;
    // Idle, a speed of 0 bytes/s and "0 bytes left" would only be noise.
    parts << (idle ? tr("Nothing downloading") : tr("%n downloading", nullptr, t.active));
    if (t.waiting > 0)
        parts << tr("%n queued", nullptr, t.waiting);
    if (t.failed > 0)
        parts << tr("%n failed", nullptr, t.failed);
    if (!idle) {
        parts << tr("%1/s").arg(locale.formattedDataSize(t.bytesPerSecond));
        parts << tr("%1 left").arg(locale.formattedDataSize(t.remainingBytes));
    }
    m_totals->setText(parts.join(QStringLiteral("  ·  ")));
    QString progress;
    if (t.active > 0 && t.pendingTotalBytes > 0)
        progress = tr("%1%").arg(100 - t.remainingBytes * 100 / t.pendingTotalBytes);
    updateTitle(progress);
    m_tray->setToolTip(progress.isEmpty() ? windowTitle() : windowTitle() + u'\n' + m_totals->text());
}

// "42% — host:port — Ferry Downloader" while downloads run, so that the taskbar shows it.
void MainWindow::updateTitle(const QString &progress)
{
    QStringList parts;
    if (!progress.isEmpty())
        parts << progress;
    if (m_link->hasServer())
        parts << m_link->address();
    parts << tr("Ferry Downloader");
    setWindowTitle(parts.join(QStringLiteral(" \u2014 ")));
}

// In the tray when there is one, else through the desktop's notification service when it has one;
// always in the window too, where Open is.
void MainWindow::onNotify(const QString &title, const QString &text, const QString &filePath, bool failure)
{
    if (m_tray->isVisible())
        m_tray->showMessage(title, text, failure);
    else
        m_desktopNotifier->show(title, text, failure);
    m_notificationBar->showMessage(title, text, filePath, failure);
}

} // namespace ferry::gui
