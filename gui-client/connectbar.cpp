#include "connectbar.h"

#include "elidinglabel.h"

#include "client/ferryurl.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QStyle>
#include <QToolButton>

namespace ferry::gui {

ConnectBar::ConnectBar(QWidget *parent)
    : QWidget(parent)
    , m_server(new QComboBox(this))
    , m_connect(new QPushButton(tr("&Connect"), this))
    , m_stateIcon(new QLabel(this))
    , m_stateLabel(new ElidingLabel(this))
    , m_retry(new QToolButton(this))
{
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 2);
    auto *label = new QLabel(tr("&Server:"), this);
    label->setBuddy(m_server);
    m_server->setEditable(true);
    m_server->setInsertPolicy(QComboBox::NoInsert);
    m_server->setMinimumContentsLength(24);
    m_server->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_server->lineEdit()->setPlaceholderText(tr("host:port or ferry:// link"));
    m_server->setObjectName(QStringLiteral("serverField"));
    m_connect->setObjectName(QStringLiteral("connectButton"));
    m_connect->setDefault(true);
    m_retry->setText(tr("Retry"));
    m_retry->setObjectName(QStringLiteral("retryConnectionButton"));
    m_retry->setIcon(style()->standardIcon(QStyle::SP_BrowserReload));
    m_retry->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    // Its place is kept while it is hidden: the field, Connect and the state would move every time
    // a server is lost or back.
    QSizePolicy retryPolicy = m_retry->sizePolicy();
    retryPolicy.setRetainSizeWhenHidden(true);
    m_retry->setSizePolicy(retryPolicy);
    // A fixed square: the icons of the states are not all as wide, and the text beside them moved.
    m_stateIcon->setFixedSize(fontMetrics().height(), fontMetrics().height());
    m_stateLabel->setObjectName(QStringLiteral("connectionState"));
    m_stateLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(label);
    layout->addWidget(m_server, 1);
    layout->addWidget(m_connect);
    layout->addSpacing(12);
    layout->addWidget(m_stateIcon);
    layout->addWidget(m_stateLabel, 2);
    layout->addWidget(m_retry);
    connect(m_connect, &QPushButton::clicked, this, &ConnectBar::requestConnect);
    // A named server's item shows its name; the field gets what can be connected to.
    connect(m_server, &QComboBox::activated, this, [this](int index) {
        const QString target = m_server->itemData(index).toString();
        if (!target.isEmpty())
            m_server->setEditText(target);
    });
    connect(m_server->lineEdit(), &QLineEdit::returnPressed, this, &ConnectBar::requestConnect);
    connect(m_retry, &QToolButton::clicked, this, &ConnectBar::retryRequested);
    setState(State::Disconnected);
}

QString ConnectBar::serverText() const
{
    return m_server->currentText().trimmed();
}

void ConnectBar::setServerText(const QString &text)
{
    m_server->setEditText(text);
}

void ConnectBar::setRecentServers(const QStringList &servers)
{
    setServers({}, servers);
}

void ConnectBar::setServers(const QList<ServerEntry> &named, const QStringList &recent)
{
    const QString current = m_server->currentText();
    m_server->clear();
    for (const ServerEntry &entry : named) {
        m_server->addItem(QStringLiteral("%1 (%2)").arg(entry.name, entry.address()), entry.url().toString());
    }
    for (const QString &address : recent)
        m_server->addItem(address, address);
    m_server->setEditText(current);
}

QString ConnectBar::stateText() const
{
    return m_stateLabel->fullText();
}

void ConnectBar::setState(State state, const QString &detail)
{
    m_state = state;
    QStyle::StandardPixmap icon = QStyle::SP_MessageBoxInformation;
    QString text;
    switch (state) {
    case State::Disconnected:
        text = detail.isEmpty() ? tr("Not connected") : detail;
        break;
    case State::Connecting:
        text = tr("Connecting to %1…").arg(detail);
        icon = QStyle::SP_BrowserReload;
        break;
    case State::Connected:
        text = tr("Connected to %1").arg(detail);
        icon = QStyle::SP_DialogApplyButton;
        break;
    case State::Unreachable:
        text = tr("Could not connect: %1").arg(detail);
        icon = QStyle::SP_MessageBoxWarning;
        break;
    case State::Lost:
        text = tr("Connection lost: %1").arg(detail);
        icon = QStyle::SP_MessageBoxWarning;
        break;
    }
    const int size = fontMetrics().height();
    m_stateIcon->setPixmap(style()->standardIcon(icon).pixmap(size, size));
    m_stateLabel->setFullText(text);
    m_retry->setVisible(state == State::Lost || state == State::Unreachable);
}

std::optional<client::FerryUrl> ConnectBar::parseServer(const QString &text, QString *error)
{
    const QString trimmed = text.trimmed();
    if (trimmed.isEmpty()) {
        *error = tr("Enter a server as host:port or a ferry:// link.");
        return std::nullopt;
    }
    if (trimmed.startsWith(QLatin1String("ferry://"), Qt::CaseInsensitive))
        return client::FerryUrl::parse(trimmed, error); // its reasons quote the link as typed
    // Another scheme is not a host called "http" with a path.
    const qsizetype scheme = trimmed.indexOf(QLatin1String("://"));
    if (scheme > 0) {
        *error = tr("\u201c%1\u201d is a %2:// address; a Ferry server is host:port or a ferry:// link.")
                     .arg(trimmed, trimmed.left(scheme));
        return std::nullopt;
    }
    // Parsed as a link; the reason then quotes the words typed, not the link made of them.
    QString why;
    auto url = client::FerryUrl::parse(QStringLiteral("ferry://") + trimmed, &why);
    if (url)
        return url;
    *error = why.replace(QStringLiteral("\u201cferry://%1\u201d").arg(trimmed),
                         QStringLiteral("\u201c%1\u201d").arg(trimmed));
    return std::nullopt;
}

void ConnectBar::requestConnect()
{
    QString error;
    const auto url = parseServer(serverText(), &error);
    if (!url) {
        setState(State::Disconnected, error);
        emit invalidServer(error);
        return;
    }
    emit connectRequested(*url);
}

} // namespace ferry::gui
