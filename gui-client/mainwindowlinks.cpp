// MainWindow's handling of ferry:// links and access tokens: what opening a link does (browse a folder,
// download a file, trust the pin and token it carries), and what the token prompt was given.
#include "mainwindow.h"

#include "connectbar.h"
#include "remotebrowser.h"
#include "securitylabel.h"
#include "serverbook.h"
#include "serverlink.h"
#include "settings.h"
#include "tokenprompt.h"

#include "client/ferryurl.h"
#include "client/knownservers.h"
#include "client/servertokens.h"
#include "client/servertrust.h"
#include "client/session.h"

#include <QStatusBar>

namespace ferry::gui {

// Several URLs may arrive at once (a command line, a desktop handing over links):
// the first decides what the browser shows, later ones on the same server only add.
void MainWindow::openUrl(const client::FerryUrl &url)
{
    client::ServerTrust::instance().requirePin(url); // a ?fp= vouches for this server
    client::ServerTokens::instance().remember(url);  // and a token= opens what it grants
    const bool sameServer = m_link->isServing(url);
    if (!sameServer)
        connectTo(url.withPath(QString()));
    const bool browse = !sameServer;
    if (url.path().isEmpty() || url.hasTrailingSlash()) {
        if (browse)
            m_browser->openPath(url.path());
        else
            download({}, {url.path()}, m_settings->downloadFolder());
        return;
    }
    // A folder or a file? Only the server knows: onStat decides.
    m_openRequests.insert(m_link->session()->stat(url.path()), browse);
}

void MainWindow::openLinks(const QStringList &links)
{
    QStringList errors;
    for (const QString &text : links) {
        QString error;
        if (const auto url = client::FerryUrl::parse(text, &error))
            openUrl(*url);
        else
            errors << error;
    }
    if (!errors.isEmpty())
        statusBar()->showMessage(tr("Could not open a link: %1").arg(errors.join(u' ')));
}

// What the token prompt was given: a capability link (its token, and its pin, for this server) or a bare
// token. Kept for the session and in the server's entry of the server list, then the folder is asked again.
void MainWindow::useToken(const QString &linkOrToken)
{
    const bool isLink = linkOrToken.startsWith(QLatin1String("ferry:"));
    const QString host = m_link->session()->host();
    const quint16 port = m_link->session()->port();
    if (!isLink) {
        if (!client::FerryUrl::isTokenText(linkOrToken)) {
            m_tokenPrompt->refuse(tr("That is not an access token (letters, digits, - and _, as ferry-ctl token "
                                     "create prints it)."));
            return;
        }
        keepToken(host, port, linkOrToken);
        return;
    }
    QString error;
    const auto url = client::FerryUrl::parse(linkOrToken, &error);
    if (!url || url->token().isEmpty()) {
        m_tokenPrompt->refuse(url ? tr("That link carries no token.") : error);
        return;
    }
    const bool otherServer = client::KnownServers::serverKey(url->host(), url->port())
                             != client::KnownServers::serverKey(host, port);
    if (otherServer) {
        m_tokenPrompt->hide();
        openUrl(*url); // a link to another server: open it as any link
        return;
    }
    client::ServerTrust::instance().requirePin(*url);
    keepToken(host, port, url->token());
}

void MainWindow::keepToken(const QString &host, quint16 port, const QString &token)
{
    client::ServerTokens::instance().set(host, port, token);
    m_settings->setServers(ServerBook::withToken(m_settings->servers(), host, port, token));
    m_tokenPrompt->hide();
    m_link->session()->disconnectFromServer(); // AUTH comes right after the handshake: on a new connection
    m_link->retry();
    m_browser->reload();
}

void MainWindow::connectTo(const client::FerryUrl &url)
{
    client::ServerTrust::instance().requirePin(url);
    client::ServerTokens::instance().remember(url);
    m_link->setServersOf(url);
    m_security->setServer(client::KnownServers::serverKey(url.host(), url.port()));
    m_connectBar->setServerText(m_link->serversText()); // a recent server once it answers (onStatusChanged)
    updateTitle(QString());
    m_browser->reset();
    m_browser->openPath(url.path());
}

void MainWindow::onStat(quint64 requestId, const client::RemoteEntry &entry)
{
    if (!m_openRequests.contains(requestId))
        return;
    const bool browse = m_openRequests.take(requestId);
    const QString path = entry.name;
    const qsizetype slash = path.lastIndexOf(u'/');
    if (entry.isDirectory() && browse)
        m_browser->openPath(path);
    else if (entry.isDirectory())
        download({}, {path}, m_settings->downloadFolder());
    else if (browse)
        m_browser->openPath(slash < 0 ? QString() : path.left(slash));
    if (!entry.isDirectory())
        download({entry}, {}, m_settings->downloadFolder()); // a stat names the whole path, as download() wants
}

} // namespace ferry::gui
