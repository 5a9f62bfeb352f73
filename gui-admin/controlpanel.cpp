#include "controlpanel.h"

#include "admincommands.h"
#include "statusjson.h"
#include "format.h"

#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include <climits>

namespace ferry::admingui {

ControlPanel::ControlPanel(QWidget *parent) : QWidget(parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(createLimitsGroup());
    layout->addWidget(createServingGroup());
    layout->addWidget(createRateGroup());
    layout->addWidget(createDisconnectGroup());
    layout->addStretch(1);
    setConnected(false);
}

QSpinBox *ControlPanel::createSpin(const QString &objectName, int maximum)
{
    auto *spin = new QSpinBox(this);
    spin->setObjectName(objectName);
    spin->setRange(0, maximum);
    connect(spin, &QSpinBox::valueChanged, this, &ControlPanel::markLimitsEdited);
    return spin;
}

QWidget *ControlPanel::createLimitsGroup()
{
    auto *box = new QGroupBox(tr("Pool limits (applied live)"), this);
    auto *form = new QFormLayout(box);
    m_minSpare = createSpin(QStringLiteral("minSpareSpin"), 4096);
    m_maxSpare = createSpin(QStringLiteral("maxSpareSpin"), 4096);
    m_maxWorkers = createSpin(QStringLiteral("maxWorkersSpin"), 4096);
    m_maxWorkers->setMinimum(1);
    m_maxRequests = createSpin(QStringLiteral("maxRequestsSpin"), INT_MAX);
    m_maxRequests->setSpecialValueText(tr("never recycle"));
    form->addRow(tr("Min spare"), m_minSpare);
    form->addRow(tr("Max spare"), m_maxSpare);
    form->addRow(tr("Max workers"), m_maxWorkers);
    form->addRow(tr("Recycle after"), m_maxRequests);
    m_applyLimits = new QPushButton(tr("Apply limits"), box);
    m_applyLimits->setObjectName(QStringLiteral("applyLimitsButton"));
    m_revertLimits = new QPushButton(tr("Revert"), box);
    m_revertLimits->setToolTip(tr("Show the limits in force again"));
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_revertLimits);
    buttons->addWidget(m_applyLimits);
    form->addRow(buttons);
    m_limitsProblem = new QLabel(box);
    m_limitsProblem->setObjectName(QStringLiteral("limitsProblemLabel"));
    m_limitsProblem->setWordWrap(true);
    m_limitsProblem->setStyleSheet(QStringLiteral("color: #b00020"));
    m_limitsProblem->hide();
    form->addRow(m_limitsProblem);
    for (QSpinBox *spin : {m_minSpare, m_maxSpare, m_maxWorkers})
        connect(spin, &QSpinBox::valueChanged, this, &ControlPanel::checkLimits);
    connect(m_applyLimits, &QPushButton::clicked, this, &ControlPanel::applyLimits);
    connect(m_revertLimits, &QPushButton::clicked, this, &ControlPanel::revertLimits);
    return box;
}

QWidget *ControlPanel::createServingGroup()
{
    auto *box = new QGroupBox(tr("Serving"), this);
    auto *layout = new QVBoxLayout(box);
    m_servingState = new QLabel(box);
    layout->addWidget(m_servingState);
    auto *buttons = new QHBoxLayout;
    m_drain = new QPushButton(tr("Drain"), box);
    m_drain->setObjectName(QStringLiteral("drainButton"));
    m_drain->setToolTip(tr("Turn new connections away (they are told to retry); serve what is already here"));
    m_resume = new QPushButton(tr("Resume"), box);
    m_resume->setObjectName(QStringLiteral("resumeButton"));
    m_reload = new QPushButton(tr("Reload"), box);
    m_reload->setObjectName(QStringLiteral("reloadButton"));
    m_reload->setToolTip(tr("Re-read the configuration and replace every worker gracefully (like SIGHUP)"));
    buttons->addWidget(m_drain);
    buttons->addWidget(m_resume);
    buttons->addWidget(m_reload);
    layout->addLayout(buttons);
    connect(m_drain, &QPushButton::clicked, this, [this] { Q_EMIT commandRequested(AdminCommands::drain()); });
    connect(m_resume, &QPushButton::clicked, this, [this] { Q_EMIT commandRequested(AdminCommands::resume()); });
    connect(m_reload, &QPushButton::clicked, this, &ControlPanel::reloadRequested);
    return box;
}

QWidget *ControlPanel::createRateGroup()
{
    auto *box = new QGroupBox(tr("Rate limits"), this);
    auto *form = new QFormLayout(box);
    // Created in the order they are shown, so Tab walks them top to bottom.
    m_perConnection = new QLineEdit(box);
    m_perConnection->setObjectName(QStringLiteral("perConnectionEdit"));
    m_global = new QLineEdit(box);
    m_global->setObjectName(QStringLiteral("globalRateEdit"));
    m_perIp = new QLineEdit(box);
    m_perIp->setObjectName(QStringLiteral("perIpRateEdit"));
    const QString units = tr("Bytes per second: 1 MiB/s, 512k, 2M (k, M, G are powers of 1024); "
                             "0 or \"unlimited\" for no limit");
    m_perConnection->setToolTip(tr("Caps each transfer on its own.") + u'\n' + units);
    m_global->setToolTip(tr("Caps all transfers of the server together.") + u'\n' + units);
    m_perIp->setToolTip(tr("Caps all connections of one client address together, in every worker "
                           "(--rate-per-ip); applies to transfers that start from then on.")
                        + u'\n' + units);
    for (QLineEdit *edit : {m_perConnection, m_global, m_perIp}) {
        edit->setPlaceholderText(tr("1 MiB/s, 512k… or unlimited"));
        connect(edit, &QLineEdit::textEdited, this, [this] { m_rateEdited = true; });
        connect(edit, &QLineEdit::returnPressed, this, &ControlPanel::applyRateLimit);
    }
    m_rateNow = new QLabel(box);
    m_rateNow->setWordWrap(true);
    auto *apply = new QPushButton(tr("Apply rate limits"), box);
    apply->setObjectName(QStringLiteral("applyRateButton"));
    connect(apply, &QPushButton::clicked, this, &ControlPanel::applyRateLimit);
    // addRow makes each label the field's buddy: Alt+C, Alt+G, Alt+A reach the fields.
    form->addRow(tr("Per &connection"), m_perConnection);
    form->addRow(tr("&Global"), m_global);
    form->addRow(tr("Per client &address"), m_perIp);
    form->addRow(m_rateNow);
    form->addRow(apply);
    return box;
}

QWidget *ControlPanel::createDisconnectGroup()
{
    auto *box = new QGroupBox(tr("Disconnect a connection"), this);
    auto *layout = new QHBoxLayout(box);
    m_connection = new QSpinBox(box);
    m_connection->setObjectName(QStringLiteral("connectionSpin"));
    m_connection->setRange(1, INT_MAX);
    m_connection->setPrefix(tr("id "));
    m_disconnect = new QPushButton(tr("Disconnect"), box);
    m_disconnect->setObjectName(QStringLiteral("disconnectButton"));
    m_disconnect->setToolTip(tr("Close the connection with this id (see a worker's tooltip or the table's context "
                                "menu); its transfer is aborted, the worker survives"));
    connect(m_disconnect, &QPushButton::clicked, this, &ControlPanel::disconnectConnection);
    layout->addWidget(m_connection, 1);
    layout->addWidget(m_disconnect);
    return box;
}

void ControlPanel::markLimitsEdited()
{
    if (!m_updating)
        m_limitsEdited = true;
}

void ControlPanel::setConnected(bool connected)
{
    for (QWidget *child : findChildren<QGroupBox *>())
        child->setEnabled(connected);
    if (!connected) {
        m_limitsEdited = false;
        m_rateEdited = false;
        m_servingState->setText(tr("Not connected"));
    }
}

void ControlPanel::setStatus(const StatusSnapshot &status)
{
    const admin::PoolInfo &pool = status.pool;
    m_capacity = int(pool.capacity);
    m_ratePerConnection = pool.ratePerConnection;
    m_rateGlobal = pool.rateGlobal;
    if (m_capacity > 0)
        m_maxWorkers->setMaximum(m_capacity);
    m_limits = pool.limits;
    if (!m_limitsEdited)
        showLimits();
    if (!m_rateEdited && !m_perConnection->hasFocus() && !m_global->hasFocus() && !m_perIp->hasFocus()) {
        m_perConnection->setText(formatRateInput(pool.ratePerConnection));
        m_global->setText(formatRateInput(pool.rateGlobal));
        m_perIp->setText(formatRateInput(pool.ratePerIp));
    }
    m_rateNow->setText(tr("In force: %1 per connection, %2 global, %3 per client address")
                           .arg(formatLimit(pool.ratePerConnection), formatLimit(pool.rateGlobal),
                                formatLimit(pool.ratePerIp)));
    m_servingState->setText(tr("The server is %1.").arg(toQString(status.server.state)));
    // A stopping server refuses changes and is about to go: offer nothing that cannot work, but keep
    // saying what it is doing.
    const bool stopping = status.server.state == "stopping";
    for (QGroupBox *group : findChildren<QGroupBox *>())
        if (group != m_servingState->parentWidget())
            group->setEnabled(!stopping);
    m_reload->setEnabled(!stopping);
    m_drain->setEnabled(status.server.state == "accepting");
    m_resume->setEnabled(status.server.state == "draining");
}

void ControlPanel::applyLimits()
{
    PoolLimitsInfo limits;
    limits.minSpare = m_minSpare->value();
    limits.maxSpare = m_maxSpare->value();
    limits.maxWorkers = m_maxWorkers->value();
    limits.maxRequests = m_maxRequests->value();
    if (const QString problem = limitsProblem(); !problem.isEmpty()) {
        Q_EMIT inputRejected(problem);
        return;
    }
    m_limitsEdited = false; // the next status shows what the server made of it
    Q_EMIT commandRequested(AdminCommands::pool(limits));
}

QString ControlPanel::limitsProblem() const
{
    const int minSpare = m_minSpare->value();
    if (minSpare > m_maxSpare->value())
        return tr("Min spare (%1) is more than max spare (%2): the pool would start idle workers only to retire "
                  "them. Lower min spare or raise max spare.")
            .arg(minSpare)
            .arg(m_maxSpare->value());
    if (minSpare > m_maxWorkers->value())
        return tr("Min spare (%1) is more than max workers (%2): the pool can never keep that many idle workers. "
                  "Lower min spare or raise max workers.")
            .arg(minSpare)
            .arg(m_maxWorkers->value());
    return {};
}

// Says at once why the limits cannot be applied, and keeps Apply off until they can.
void ControlPanel::checkLimits()
{
    const QString problem = limitsProblem();
    m_limitsProblem->setText(problem);
    m_limitsProblem->setVisible(!problem.isEmpty());
    m_applyLimits->setEnabled(problem.isEmpty());
}

void ControlPanel::revertLimits()
{
    m_limitsEdited = false;
    showLimits();
}

void ControlPanel::showLimits()
{
    m_updating = true;
    m_minSpare->setValue(int(m_limits.minSpare));
    m_maxSpare->setValue(int(m_limits.maxSpare));
    m_maxWorkers->setValue(int(m_limits.maxWorkers));
    m_maxRequests->setValue(int(qMin<qint64>(m_limits.maxRequests, INT_MAX)));
    m_updating = false;
}

void ControlPanel::applyRateLimit()
{
    const auto perConnection = parseByteRate(m_perConnection->text());
    const auto global = parseByteRate(m_global->text());
    const auto perIp = parseByteRate(m_perIp->text());
    if (!perConnection || !global || !perIp) {
        Q_EMIT inputRejected(tr("A rate limit is bytes per second, such as 1 MiB/s, 512k or 2M (powers of 1024); "
                                "0 or \"unlimited\" means no limit."));
        return;
    }
    m_rateEdited = false;
    Q_EMIT commandRequested(AdminCommands::rateLimit(*perConnection, *global, *perIp));
}

void ControlPanel::disconnectConnection()
{
    Q_EMIT commandRequested(AdminCommands::disconnectConnection(m_connection->value()));
}

} // namespace ferry::admingui
