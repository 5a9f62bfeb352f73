// Ferry Admin's main window: connection bar, summary, history charts, scoreboard and workers table,
// control panel and command log. It wires the connection to the models and shows; it holds no logic of
// its own beyond asking for confirmation before killing a worker.
#pragma once

#include "adminconnection.h"
#include "statusjson.h"
#include "reconnectwatch.h"

#include <QHash>
#include <QMainWindow>

class QLabel;
class QLineEdit;
class QSplitter;
class QTabWidget;

namespace ferry::admingui {

class ActivityModel;
class ActivityPanel;
class CommandLog;
class ControlPanel;
class HistoryChart;
class HistoryModel;
class SummaryPanel;
class TokensPanel;
class WorkerModel;
class WorkersPanel;

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(const QString &socketPath, QWidget *parent = nullptr);
    ~MainWindow() override;

    AdminConnection *connection() const { return m_connection; }
    WorkerModel *workerModel() const { return m_workerModel; }
    HistoryModel *historyModel() const { return m_history; }
    WorkersPanel *workersPanel() const { return m_workers; }
    ActivityModel *activityModel() const { return m_activityModel; }
    ActivityPanel *activityPanel() const { return m_activity; }
    QTabWidget *tabs() const { return m_tabs; }
    TokensPanel *tokensPanel() const { return m_tokens; }
    ControlPanel *controlPanel() const { return m_control; }
    SummaryPanel *summaryPanel() const { return m_summary; }
    CommandLog *commandLog() const { return m_log; }
    // The last STATUS received on this connection; nullopt while not connected.
    const std::optional<admin::StatusSnapshot> &lastStatus() const { return m_status; }
    // The banner's text: the connection's state when it is not connected, empty otherwise.
    QString bannerText() const;

public Q_SLOTS:
    void copyStatusAsJson();
    // Asks for confirmation (a modal question), then sends kill_worker.
    void killWorker(int slot, bool graceful);
    // Asks first (unless told not to again): a reload puts the file's limits back.
    void reload();
    // Sends a request and logs it; the answer lands in the log and the status line.
    void sendCommand(const QJsonObject &request);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void createToolBar();
    void createDocks();
    QWidget *createCentral();
    void onStateChanged(AdminConnection::State state);
    void onStatus(const QJsonObject &json);
    void onReply(int id, const QJsonObject &reply);
    void showNote(const QString &text, bool failure);
    // After a disconnect succeeds: tell the user if that client is back at once.
    void watchForReconnect(qint64 connection);
    void restoreSettings();
    void saveSettings() const;

    AdminConnection *m_connection;
    WorkerModel *m_workerModel;
    HistoryModel *m_history;
    ActivityModel *m_activityModel;
    std::optional<admin::StatusSnapshot> m_status;
    QJsonObject m_statusJson; // m_status as received, for "Copy status as JSON"
    QString m_lastLoggedState;
    QHash<int, QString> m_pending; // request id -> what was asked, for the log
    ReconnectWatch m_reconnectWatch;
    QLineEdit *m_pathEdit = nullptr;
    QLabel *m_stateLabel = nullptr;
    QLabel *m_banner = nullptr;
    SummaryPanel *m_summary = nullptr;
    HistoryChart *m_throughputChart = nullptr;
    HistoryChart *m_busyChart = nullptr;
    WorkersPanel *m_workers = nullptr;
    ActivityPanel *m_activity = nullptr;
    QTabWidget *m_tabs = nullptr;
    TokensPanel *m_tokens = nullptr;
    ControlPanel *m_control = nullptr;
    CommandLog *m_log = nullptr;
    QSplitter *m_splitter = nullptr;
};

} // namespace ferry::admingui
