#include "mainwindow.h"

#include "activitymodel.h"
#include "activitypanel.h"
#include "admincommands.h"
#include "commandlog.h"
#include "controlpanel.h"
#include "historychart.h"
#include "historymodel.h"
#include "scoreboardstrip.h"
#include "summarypanel.h"
#include "tokenspanel.h"
#include "workermodel.h"
#include "workerspanel.h"

#include "desktop/plaintooltip.h"

#include <QAction>
#include <QCheckBox>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QDockWidget>
#include <QHBoxLayout>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QToolBar>
#include <QVBoxLayout>

namespace ferry::admingui {

namespace {

constexpr int StatusLineMs = 15000;

QString stateColor(AdminConnection::State state)
{
    switch (state) {
    case AdminConnection::State::Connected: return QStringLiteral("#2e7d32");
    case AdminConnection::State::Idle:
    case AdminConnection::State::Connecting: return QStringLiteral("#f9a825");
    case AdminConnection::State::NotRunning:
    case AdminConnection::State::PermissionDenied:
    case AdminConnection::State::Failed: return QStringLiteral("#c62828");
    }
    return QStringLiteral("#757575");
}

} // namespace

MainWindow::MainWindow(const QString &socketPath, QWidget *parent)
    : QMainWindow(parent), m_connection(new AdminConnection(this)), m_workerModel(new WorkerModel(this)),
      m_history(new HistoryModel(this)), m_activityModel(new ActivityModel(this))
{
    setWindowTitle(tr("Ferry Admin"));
    setObjectName(QStringLiteral("FerryAdminWindow"));
    m_connection->setSocketPath(socketPath);
    createToolBar();
    setCentralWidget(createCentral());
    createDocks();
    m_stateLabel = new QLabel(this);
    statusBar()->addPermanentWidget(m_stateLabel);

    connect(m_connection, &AdminConnection::stateChanged, this, &MainWindow::onStateChanged);
    connect(m_connection, &AdminConnection::statusReceived, this, &MainWindow::onStatus);
    connect(m_connection, &AdminConnection::historyReceived, m_history, &HistoryModel::setHistory);
    connect(m_connection, &AdminConnection::replyReceived, this, &MainWindow::onReply);
    connect(m_connection, &AdminConnection::auditRecentReceived, m_activityModel, [this](const QJsonArray &records) {
        m_activity->setNotice({});
        m_activityModel->setRecent(records);
    });
    connect(m_connection, &AdminConnection::auditRecordReceived, m_activityModel, &ActivityModel::append);
    connect(m_connection, &AdminConnection::auditUnavailable, m_activity, [this](const QString &message) {
        m_activityModel->clear();
        m_activity->setNotice(tr("No activity to show: %1").arg(message));
    });
    m_connection->setAuditFollowed(true);
    connect(m_workers, &WorkersPanel::killRequested, this, &MainWindow::killWorker);
    connect(m_workers, &WorkersPanel::disconnectRequested, this,
            [this](int slot) { sendCommand(AdminCommands::disconnectSlot(slot)); });
    connect(m_control, &ControlPanel::commandRequested, this, &MainWindow::sendCommand);
    connect(m_control, &ControlPanel::reloadRequested, this, &MainWindow::reload);
    connect(m_control, &ControlPanel::inputRejected, this, [this](const QString &text) { showNote(text, true); });
    restoreSettings();
    onStateChanged(m_connection->state());
}

MainWindow::~MainWindow() = default;

void MainWindow::createToolBar()
{
    QToolBar *bar = addToolBar(tr("Connection"));
    bar->setObjectName(QStringLiteral("connectionToolBar"));
    bar->setMovable(false);
    bar->addWidget(new QLabel(tr("Admin socket "), bar));
    m_pathEdit = new QLineEdit(m_connection->socketPath(), bar);
    m_pathEdit->setObjectName(QStringLiteral("socketPathEdit"));
    m_pathEdit->setMinimumWidth(320);
    m_pathEdit->setToolTip(tr("The server's --admin-socket path"));
    bar->addWidget(m_pathEdit);
    auto *connectButton = new QPushButton(tr("Connect"), bar);
    connectButton->setObjectName(QStringLiteral("connectButton"));
    bar->addWidget(connectButton);
    const auto applyPath = [this] {
        m_connection->setSocketPath(m_pathEdit->text().trimmed());
        m_pathEdit->setText(m_connection->socketPath());
        m_connection->start();
    };
    connect(connectButton, &QPushButton::clicked, this, applyPath);
    connect(m_pathEdit, &QLineEdit::returnPressed, this, applyPath);
    bar->addSeparator();
    auto *copy = new QAction(tr("Copy status as JSON"), this);
    copy->setObjectName(QStringLiteral("copyStatusAction"));
    copy->setShortcut(QKeySequence::Copy);
    connect(copy, &QAction::triggered, this, &MainWindow::copyStatusAsJson);
    bar->addAction(copy);

    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(copy);
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);
}

QWidget *MainWindow::createCentral()
{
    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    m_banner = new QLabel(central);
    m_banner->setObjectName(QStringLiteral("connectionBanner"));
    m_banner->setWordWrap(true);
    m_banner->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_banner->setStyleSheet(QStringLiteral("QLabel { background: #fff3e0; color: #5d4037; border: 1px solid #ffb74d;"
                                           " border-radius: 4px; padding: 6px; }"));
    layout->addWidget(m_banner);

    // Summary on top, the two charts side by side under it: at 1280 px both stay readable next to the controls.
    auto *top = new QWidget(central);
    auto *topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    m_summary = new SummaryPanel(top);
    m_summary->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Maximum);
    topLayout->addWidget(m_summary);
    auto *charts = new QHBoxLayout;
    m_throughputChart = new HistoryChart(m_history, HistoryChart::Series::Throughput, top);
    m_throughputChart->setObjectName(QStringLiteral("throughputChart"));
    m_busyChart = new HistoryChart(m_history, HistoryChart::Series::BusyWorkers, top);
    m_busyChart->setObjectName(QStringLiteral("busyChart"));
    charts->addWidget(m_throughputChart, 3);
    charts->addWidget(m_busyChart, 2);
    topLayout->addLayout(charts, 1);

    m_workers = new WorkersPanel(m_workerModel, central);
    m_splitter = new QSplitter(Qt::Vertical, central);
    m_splitter->setObjectName(QStringLiteral("mainSplitter"));
    // In a scroll area: in a narrow window the summary takes two rows, and a short window then scrolls the
    // top part instead of growing past the screen.
    auto *topScroll = new QScrollArea(central);
    topScroll->setWidget(top);
    topScroll->setWidgetResizable(true);
    topScroll->setFrameShape(QFrame::NoFrame);
    topScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_splitter->addWidget(topScroll);
    // Workers now, and Activity: the requests that finished (the audit log), filterable, live.
    m_activity = new ActivityPanel(m_activityModel, central);
    m_tabs = new QTabWidget(central);
    m_tabs->setObjectName(QStringLiteral("mainTabs"));
    m_tabs->addTab(m_workers, tr("Workers"));
    m_tabs->addTab(m_activity, tr("Activity"));
    m_tokens = new TokensPanel(m_connection, central);
    m_tabs->addTab(m_tokens, tr("Tokens"));
    m_splitter->addWidget(m_tabs);
    m_splitter->setStretchFactor(1, 1);
    layout->addWidget(m_splitter, 1);
    return central;
}

void MainWindow::createDocks()
{
    m_control = new ControlPanel;
    auto *scroll = new QScrollArea;
    scroll->setWidget(m_control);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    scroll->setMinimumWidth(m_control->minimumSizeHint().width() + scroll->verticalScrollBar()->sizeHint().width());
    auto *controlDock = new QDockWidget(tr("Control"), this);
    controlDock->setObjectName(QStringLiteral("controlDock"));
    controlDock->setWidget(scroll);
    addDockWidget(Qt::RightDockWidgetArea, controlDock);

    m_log = new CommandLog;
    auto *logDock = new QDockWidget(tr("Log"), this);
    logDock->setObjectName(QStringLiteral("logDock"));
    logDock->setWidget(m_log);
    addDockWidget(Qt::BottomDockWidgetArea, logDock);
    QMenu *workers = menuBar()->addMenu(tr("&Workers"));
    workers->addAction(m_workers->killGracefulAction());
    workers->addAction(m_workers->killNowAction());
    workers->addAction(m_workers->disconnectAction());
    QMenu *view = menuBar()->addMenu(tr("&View"));
    view->addAction(controlDock->toggleViewAction());
    view->addAction(logDock->toggleViewAction());
}

QString MainWindow::bannerText() const
{
    return m_banner->isHidden() ? QString() : m_banner->text();
}

void MainWindow::onStateChanged(AdminConnection::State state)
{
    const bool connected = state == AdminConnection::State::Connected;
    m_stateLabel->setText(QStringLiteral("<span style=\"color:%1\">●</span> %2")
                              .arg(stateColor(state), m_connection->stateText().toHtmlEscaped()));
    m_banner->setText(m_connection->stateText());
    m_banner->setVisible(!connected);
    m_control->setConnected(connected);
    m_history->setLive(connected);
    // Retries repeat the same state every few seconds; the log records only what is new.
    const bool news = m_connection->stateText() != m_lastLoggedState;
    if (connected || state == AdminConnection::State::NotRunning || state == AdminConnection::State::PermissionDenied
        || state == AdminConnection::State::Failed) {
        if (news)
            m_log->add(connected ? CommandLog::Kind::Note : CommandLog::Kind::Warning, m_connection->stateText());
        m_lastLoggedState = m_connection->stateText();
    }
    if (connected)
        return;
    // Stale numbers would read as live ones: show nothing rather than the last snapshot.
    m_status.reset();
    m_statusJson = {};
    m_workerModel->clear();
    m_summary->clear();
    m_workers->strip()->setCells({});
    m_pending.clear();
    setWindowTitle(tr("Ferry Admin"));
}

void MainWindow::onStatus(const QJsonObject &json)
{
    m_status = statusFromJson(json);
    if (!m_status)
        return; // not a STATUS object: keep showing nothing rather than zeros
    m_statusJson = json;
    const StatusSnapshot &status = *m_status;
    m_workerModel->updateFromStatus(status);
    m_history->addStatus(status);
    m_summary->setStatus(status);
    m_control->setStatus(status);
    m_workers->strip()->setCells(ScoreboardStrip::cellsFromStatus(status));
    if (const auto back = m_reconnectWatch.check(status))
        showNote(*back, false);
    setWindowTitle(tr("Ferry Admin — %1").arg(toQString(status.server.listen)));
}

void MainWindow::sendCommand(const QJsonObject &request)
{
    const QString description = AdminCommands::describeRequest(request);
    const int id = m_connection->sendRequest(request);
    if (id < 0) {
        showNote(tr("Not sent (%1): not connected to the server.").arg(description), true);
        return;
    }
    m_pending.insert(id, description);
    m_log->add(CommandLog::Kind::Request, description);
}

void MainWindow::onReply(int id, const QJsonObject &reply)
{
    const QString request = m_pending.take(id);
    if (request.isEmpty())
        return; // the connection's own requests (history, subscribe)
    const bool ok = AdminCommands::isSuccess(reply);
    const QString text = AdminCommands::describeReply(reply);
    if (ok && reply.value(QLatin1String("cmd")).toString() == QLatin1String("disconnect"))
        watchForReconnect(reply.value(QLatin1String("connection")).toInteger());
    m_log->add(ok ? CommandLog::Kind::Success : CommandLog::Kind::Failure, text);
    // The wire request and the full answer are in the log and the tooltip; the bar has room for a few words.
    statusBar()->showMessage(AdminCommands::replyHeadline(reply), StatusLineMs);
    statusBar()->setToolTip(desktop::plainToolTip(QStringLiteral("%1 → %2").arg(request, text)));
}

void MainWindow::watchForReconnect(qint64 connection)
{
    if (!m_status)
        return;
    for (const WorkerInfo &w : m_status->workers)
        if (w.connection == connection && !w.peer.empty())
            m_reconnectWatch.closed(connection, toQString(w.peer), m_status->nowMs);
}

void MainWindow::showNote(const QString &text, bool failure)
{
    m_log->add(failure ? CommandLog::Kind::Warning : CommandLog::Kind::Note, text);
    statusBar()->showMessage(text, StatusLineMs);
}

void MainWindow::killWorker(int slot, bool graceful)
{
    const int row = m_workerModel->rowForSlot(slot);
    if (row < 0)
        return;
    const WorkerInfo &w = m_workerModel->worker(row);
    QMessageBox box(QMessageBox::Warning, graceful ? tr("Stop worker") : tr("Kill worker"), QString(),
                    QMessageBox::Cancel, this);
    box.setObjectName(QStringLiteral("confirmKillBox"));
    const QString state = toQString(w.state);
    const QString what = w.path.empty() ? tr("It is %1.").arg(state)
                                        : tr("It is %1 %2 to %3.").arg(state, toQString(w.path), toQString(w.peer));
    box.setText(graceful ? tr("Stop worker %1 (slot %2) after its current transfer?").arg(w.pid).arg(slot)
                         : tr("Kill worker %1 (slot %2) now with SIGKILL?").arg(w.pid).arg(slot));
    box.setInformativeText(what + QLatin1Char(' ')
                           + (graceful ? tr("The pool starts a replacement as needed.")
                                       : tr("Its client's connection is closed; the pool starts a replacement.")));
    QPushButton *confirm =
        box.addButton(graceful ? tr("Stop gracefully") : tr("Kill now"), QMessageBox::DestructiveRole);
    confirm->setObjectName(QStringLiteral("confirmButton"));
    box.setDefaultButton(QMessageBox::Cancel);
    box.exec();
    if (box.clickedButton() == confirm)
        sendCommand(AdminCommands::killWorker(slot, graceful));
}

void MainWindow::reload()
{
    QSettings settings;
    const QString askKey = QStringLiteral("confirm/reload");
    if (settings.value(askKey, true).toBool()) {
        QMessageBox box(QMessageBox::Warning, tr("Reload"), tr("Reload the server's configuration?"),
                        QMessageBox::Cancel, this);
        box.setObjectName(QStringLiteral("confirmReloadBox"));
        box.setInformativeText(
            tr("The server re-reads its configuration file and replaces every worker gracefully; no transfer "
               "is cut. Pool limits and the per-connection rate limit changed live since the last start or "
               "reload (here or with ferry-ctl) go back to the file's values."));
        QPushButton *confirm = box.addButton(tr("Reload"), QMessageBox::AcceptRole);
        confirm->setObjectName(QStringLiteral("confirmButton"));
        auto *dontAsk = new QCheckBox(tr("Don't warn again"), &box);
        dontAsk->setObjectName(QStringLiteral("dontAskCheck"));
        box.setCheckBox(dontAsk);
        box.setDefaultButton(QMessageBox::Cancel);
        box.exec();
        if (box.clickedButton() != confirm)
            return;
        if (dontAsk->isChecked())
            settings.setValue(askKey, false);
    }
    sendCommand(AdminCommands::reload());
}

void MainWindow::copyStatusAsJson()
{
    if (!m_status) {
        showNote(tr("No status to copy: not connected."), true);
        return;
    }
    QApplication::clipboard()->setText(QString::fromUtf8(QJsonDocument(m_statusJson).toJson(QJsonDocument::Indented)));
    showNote(tr("Status copied to the clipboard as JSON."), false);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    saveSettings();
    QMainWindow::closeEvent(event);
}

void MainWindow::restoreSettings()
{
    QSettings settings;
    if (!restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray()))
        resize(1280, 800);
    if (!restoreState(settings.value(QStringLiteral("window/state")).toByteArray())) {
        // First start: the workers table gets the room, the log a few lines, the controls a column.
        resizeDocks({findChild<QDockWidget *>(QStringLiteral("logDock"))}, {84}, Qt::Vertical);
        resizeDocks({findChild<QDockWidget *>(QStringLiteral("controlDock"))}, {330}, Qt::Horizontal);
    }
    if (!m_splitter->restoreState(settings.value(QStringLiteral("window/splitter")).toByteArray()))
        m_splitter->setSizes({280, 520});
    // "workers/columns", not the older "workers/header": that layout was saved for another column order.
    m_workers->restoreHeaderState(settings.value(QStringLiteral("workers/columns")).toByteArray());
}

void MainWindow::saveSettings() const
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    settings.setValue(QStringLiteral("window/splitter"), m_splitter->saveState());
    settings.setValue(QStringLiteral("workers/columns"), m_workers->saveHeaderState());
}

} // namespace ferry::admingui
