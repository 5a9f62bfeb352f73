#include "trustprompter.h"

#include "client/servertrust.h"

#include <QMessageBox>
#include <QPushButton>
#include <QScopedValueRollback>

namespace ferry::gui {

namespace {

// Fingerprints in a fixed-width font, two lines of groups so they fit any dialog.
QString fingerprintHtml(const QString &fingerprint)
{
    const QString firstHalf = fingerprint.left(34), secondHalf = fingerprint.mid(35);
    return QStringLiteral("<p style='font-family:monospace; font-size:large'>%1<br>%2</p>")
        .arg(firstHalf.toHtmlEscaped(), secondHalf.toHtmlEscaped());
}

} // namespace

TrustPrompter::TrustPrompter(QWidget *window) : QObject(window), m_window(window)
{
    client::ServerTrust &trust = client::ServerTrust::instance();
    connect(&trust, &client::ServerTrust::unknownServer, this, &TrustPrompter::onUnknown);
    connect(&trust, &client::ServerTrust::identityChanged, this, &TrustPrompter::onChanged);
}

QMessageBox *TrustPrompter::makeFirstContactBox(QWidget *parent, const QString &server, const QString &fingerprint)
{
    auto *box = new QMessageBox(parent);
    box->setObjectName(QStringLiteral("firstContactBox"));
    box->setWindowTitle(tr("New Server"));
    box->setIcon(QMessageBox::Question);
    box->setTextFormat(Qt::RichText);
    box->setText(tr("<b>First connection to %1.</b><p>Its identity is:</p>%2"
                    "<p>Compare it with what the server's administrator sees: <tt>ferry-ctl identity</tt> "
                    "on the server prints it, and its log shows it at start-up. Trust this server only if "
                    "they are the same; the Downloader then remembers it and warns you should it ever change.</p>")
                     .arg(server.toHtmlEscaped(), fingerprintHtml(fingerprint)));
    QPushButton *trust = box->addButton(tr("&Trust"), QMessageBox::AcceptRole);
    trust->setObjectName(QStringLiteral("trustButton"));
    box->addButton(QMessageBox::Cancel);
    box->setDefaultButton(QMessageBox::Cancel); // trusting is a decision, not Enter
    return box;
}

QMessageBox *TrustPrompter::makeChangedBox(QWidget *parent, const QString &server, const QString &pinned,
                                           const QString &presented)
{
    auto *box = new QMessageBox(parent);
    box->setObjectName(QStringLiteral("identityChangedBox"));
    box->setWindowTitle(tr("Server Identity Changed"));
    box->setIcon(QMessageBox::Critical);
    box->setTextFormat(Qt::RichText);
    box->setText(tr("<p style='color:#b00000; font-size:x-large'><b>WARNING: THE IDENTITY OF %1 HAS CHANGED!</b></p>"
                    "<p>Someone may be intercepting your connection (a man-in-the-middle attack), or the server's "
                    "key was replaced. Nothing was sent to it, and nothing will be.</p>"
                    "<p>Pinned identity:</p>%2<p>Identity it presented now:</p>%3"
                    "<p>Ask the server's administrator (<tt>ferry-ctl identity</tt>). Only if they confirm the new "
                    "identity, remove the old one in <b>Preferences → Known servers</b> and connect again.</p>")
                     .arg(server.toHtmlEscaped(), fingerprintHtml(pinned), fingerprintHtml(presented)));
    box->setStandardButtons(QMessageBox::Close); // no way on from here
    return box;
}

void TrustPrompter::onUnknown(const QString &server, const QString &fingerprint)
{
    if (m_asking == server || m_warned == server)
        return;
    QScopedValueRollback<QString> asking(m_asking, server);
    QMessageBox *box = makeFirstContactBox(m_window, server, fingerprint);
    box->exec();
    const bool accepted = box->buttonRole(box->clickedButton()) == QMessageBox::AcceptRole;
    box->deleteLater();
    if (!accepted)
        return;
    QString error;
    if (!client::ServerTrust::instance().knownServers().add(server, fingerprint, &error)) {
        QMessageBox::warning(m_window, tr("New Server"), error);
        return;
    }
    emit trusted(server);
}

void TrustPrompter::onChanged(const QString &server, const QString &pinned, const QString &presented)
{
    if (m_warned == server)
        return;
    QScopedValueRollback<QString> warned(m_warned, server);
    QMessageBox *box = makeChangedBox(m_window, server, pinned, presented);
    box->exec();
    box->deleteLater();
}

} // namespace ferry::gui
