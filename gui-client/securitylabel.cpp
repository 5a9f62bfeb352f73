#include "securitylabel.h"

#include "client/servertrust.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPainter>
#include <QPixmap>

namespace ferry::gui {

namespace {

enum class Lock { Closed, Open, Away };

QColor lockColour(Lock lock)
{
    switch (lock) {
    case Lock::Closed: return QColor(0x1e, 0x8e, 0x3e);
    case Lock::Open: return QColor(0xc0, 0x20, 0x20);
    case Lock::Away: return QColor(0x80, 0x80, 0x80);
    }
    return QColor();
}

// A padlock drawn here (no icon theme has one everywhere): closed and green, open and red, or open and
// grey for a server not connected (nothing is protected, nor exposed, right now).
QPixmap lockPixmap(Lock lock, int size)
{
    QPixmap pixmap(size, size);
    pixmap.fill(Qt::transparent);
    QPainter painter(&pixmap);
    painter.setRenderHint(QPainter::Antialiasing);
    const bool closed = lock == Lock::Closed;
    const QColor colour = lockColour(lock);
    QPen pen(colour, size / 8.0);
    painter.setPen(pen);
    const qreal w = size, body = size * 0.5;
    // The shackle: an arch over the body, lifted to one side when open.
    QRectF shackle(w * 0.25, w * 0.08 - (closed ? 0 : w * 0.12), w * 0.5, w * 0.6);
    painter.drawArc(shackle, 0, 180 * 16);
    painter.drawLine(QPointF(w * 0.75, shackle.center().y()), QPointF(w * 0.75, w - body));
    if (closed)
        painter.drawLine(QPointF(w * 0.25, shackle.center().y()), QPointF(w * 0.25, w - body));
    painter.setPen(Qt::NoPen);
    painter.setBrush(colour);
    painter.drawRoundedRect(QRectF(w * 0.12, w - body, w * 0.76, body - 1), 2, 2);
    return pixmap;
}

} // namespace

SecurityLabel::SecurityLabel(QWidget *parent) : QWidget(parent), m_icon(new QLabel(this)), m_text(new QLabel(this))
{
    setObjectName(QStringLiteral("securityLabel"));
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    layout->addWidget(m_icon);
    layout->addWidget(m_text);
    connect(&client::ServerTrust::instance(), &client::ServerTrust::securityChanged, this,
            [this](const QString &server, const QString &) {
                if (server == m_server)
                    refresh();
            });
    refresh();
}

QString SecurityLabel::text() const { return m_text->text(); }

void SecurityLabel::setServer(const QString &server)
{
    m_server = server;
    m_refused = false;
    refresh();
}

void SecurityLabel::setRefused(bool refused)
{
    m_refused = refused;
    refresh();
}

void SecurityLabel::setConnected(bool connected)
{
    if (m_connected == connected)
        return;
    m_connected = connected;
    refresh();
}

void SecurityLabel::refresh()
{
    if (m_refused) {
        showRefused();
        return;
    }
    QString description = client::ServerTrust::instance().securityOf(m_server);
    description.replace(QLatin1String("TLSv1.3"), QLatin1String("TLS 1.3"));
    m_encrypted = m_connected && description.startsWith(QLatin1String("TLS"));
    setVisible(!description.isEmpty());
    if (description.isEmpty())
        return;
    if (!m_connected) {
        showDisconnected(description);
        return;
    }
    const QString summary =
        m_encrypted ? description.section(QStringLiteral(" ("), 0, 0) : tr("Not encrypted (plaintext)");
    m_icon->setPixmap(lockPixmap(m_encrypted ? Lock::Closed : Lock::Open, fontMetrics().height()));
    m_text->setText(summary);
    m_text->setStyleSheet(m_encrypted ? QString() : QStringLiteral("color:#c02020"));
    setAccessibleName(summary);
    setToolTip(m_encrypted ? tr("%1: %2").arg(m_server, description)
                           : tr("%1 speaks Ferry without TLS: anyone on the network can read and change what is sent.")
                                 .arg(m_server));
}

void SecurityLabel::showRefused()
{
    m_encrypted = false;
    setVisible(true);
    const QString summary = tr("Identity refused");
    m_icon->setPixmap(lockPixmap(Lock::Open, fontMetrics().height()));
    m_text->setText(summary);
    m_text->setStyleSheet(QStringLiteral("color:#c02020"));
    setAccessibleName(summary);
    setToolTip(tr("%1 presented another identity than the one it is known by: nothing was sent to it.")
                   .arg(m_server));
}

// The server went away (stopped, the network dropped): no lock vouches for a connection that is not
// there. What the last one was stays in the tooltip, past tense: for a pinned server it is also the
// identity the next connection must present.
void SecurityLabel::showDisconnected(const QString &description)
{
    const QString summary = tr("Not connected");
    m_icon->setPixmap(lockPixmap(Lock::Away, fontMetrics().height()));
    m_text->setText(summary);
    m_text->setStyleSheet(QString());
    setAccessibleName(summary);
    setToolTip(tr("%1 is not connected. The last connection to it: %2.").arg(m_server, description));
}

} // namespace ferry::gui
