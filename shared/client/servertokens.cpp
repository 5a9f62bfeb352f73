#include "servertokens.h"

#include "ferryurl.h"
#include "knownservers.h"

namespace ferry::client {

ServerTokens &ServerTokens::instance()
{
    static ServerTokens tokens;
    return tokens;
}

void ServerTokens::remember(const FerryUrl &url)
{
    if (url.token().isEmpty())
        return;
    // A fleet shares its token store (docs/SCALING.md): the token holds for every server the URL names.
    for (const ServerAddress &server : url.servers())
        set(server.host, server.port, url.token());
}

void ServerTokens::extendTo(const FerryUrl &url, const QList<ServerAddress> &servers)
{
    const QString token = url.token().isEmpty() ? tokenFor(url.host(), url.port()) : url.token();
    if (token.isEmpty())
        return;
    for (const ServerAddress &server : servers) {
        if (tokenFor(server.host, server.port).isEmpty())
            set(server.host, server.port, token);
    }
}

void ServerTokens::set(const QString &host, quint16 port, const QString &token)
{
    if (token.isEmpty())
        forget(host, port);
    else
        m_tokens.insert(KnownServers::serverKey(host, port), token);
}

void ServerTokens::forget(const QString &host, quint16 port)
{
    m_tokens.remove(KnownServers::serverKey(host, port));
}

QString ServerTokens::tokenFor(const QString &host, quint16 port) const
{
    return m_tokens.value(KnownServers::serverKey(host, port));
}

} // namespace ferry::client
