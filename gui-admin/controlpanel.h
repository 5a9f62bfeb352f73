// The controls that change the server: pool limits, drain / resume / reload, rate limits (per connection,
// global, per client address), disconnecting a connection. It only builds requests and emits them; the
// window sends them and shows the server's answer.
// Fields follow the live status until the user edits them, so a typed value is never overwritten.
#pragma once

#include "statusjson.h"

#include <QJsonObject>
#include <QWidget>

class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace ferry::admingui {

class ControlPanel : public QWidget
{
    Q_OBJECT
public:
    explicit ControlPanel(QWidget *parent = nullptr);

    void setStatus(const admin::StatusSnapshot &status);
    void setConnected(bool connected);

    // For tests and for other windows: set a limit field as if typed.
    QSpinBox *maxWorkersSpin() const { return m_maxWorkers; }
    QSpinBox *minSpareSpin() const { return m_minSpare; }
    QSpinBox *maxSpareSpin() const { return m_maxSpare; }
    QSpinBox *maxRequestsSpin() const { return m_maxRequests; }

public Q_SLOTS:
    void applyLimits();
    void revertLimits();
    void applyRateLimit();
    void disconnectConnection();

Q_SIGNALS:
    void commandRequested(const QJsonObject &request);
    // Reload was clicked: the window confirms first (a reload puts the file's limits back).
    void reloadRequested();
    // Something typed could not be sent (e.g. "12 parsecs" as a rate); the text says what is wrong.
    void inputRejected(const QString &message);

private:
    QWidget *createLimitsGroup();
    QWidget *createServingGroup();
    QWidget *createRateGroup();
    QWidget *createDisconnectGroup();
    QSpinBox *createSpin(const QString &objectName, int maximum);
    void markLimitsEdited();
    void showLimits();
    void checkLimits();
    QString limitsProblem() const;

    QSpinBox *m_minSpare = nullptr;
    QSpinBox *m_maxSpare = nullptr;
    QSpinBox *m_maxWorkers = nullptr;
    QSpinBox *m_maxRequests = nullptr;
    QPushButton *m_applyLimits = nullptr;
    QPushButton *m_revertLimits = nullptr;
    QLabel *m_limitsProblem = nullptr;
    QLabel *m_servingState = nullptr;
    QPushButton *m_drain = nullptr;
    QPushButton *m_resume = nullptr;
    QPushButton *m_reload = nullptr;
    QLineEdit *m_perConnection = nullptr;
    QLineEdit *m_global = nullptr;
    QLineEdit *m_perIp = nullptr;
    QLabel *m_rateNow = nullptr;
    QSpinBox *m_connection = nullptr;
    QPushButton *m_disconnect = nullptr;
    bool m_updating = false;
    bool m_limitsEdited = false;
    bool m_rateEdited = false;
    qint64 m_ratePerConnection = 0;
    qint64 m_rateGlobal = 0;
    int m_capacity = 0;
    admin::PoolLimitsInfo m_limits;
};

} // namespace ferry::admingui
