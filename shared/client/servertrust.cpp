#include "servertrust.h"

#include "ferryurl.h"

namespace ferry::client {

ServerTrust::ServerTrust() : m_plaintext(qEnvironmentVariableIntValue("FERRY_PLAINTEXT") == 1) {}

ServerTrust &ServerTrust::instance()
{
    static ServerTrust trust; // lives as long as the process; Qt objects using it die before it
    return trust;
}

void ServerTrust::requirePin(const FerryUrl &url)
{
    // A fleet shares one identity (docs/SCALING.md): the pin holds for every server the URL names.
    for (const ServerAddress &server : url.servers())
        requirePin(server.host, server.port, url.fingerprint());
}

void ServerTrust::requirePin(const QString &host, quint16 port, const QString &fingerprint)
{
    if (!fingerprint.isEmpty())
        m_urlPins.insert(KnownServers::serverKey(host, port), fingerprint);
}

void ServerTrust::reportUnknown(const QString &server, const QString &fingerprint)
{
    m_awaitingTrust.insert(server); // at once: the connection's failure is reported before the signal
    QMetaObject::invokeMethod(
        this, [this, server, fingerprint] { emit unknownServer(server, fingerprint); }, Qt::QueuedConnection);
}

void ServerTrust::reportChanged(const QString &server, const QString &pinned, const QString &presented)
{
    QMetaObject::invokeMethod(
        this, [this, server, pinned, presented] { emit identityChanged(server, pinned, presented); },
        Qt::QueuedConnection);
}

void ServerTrust::noteSecurity(const QString &server, const QString &description)
{
    m_awaitingTrust.remove(server); // a connection to it succeeded
    if (m_security.value(server) == description)
        return;
    m_security.insert(server, description);
    emit securityChanged(server, description);
}

} // namespace ferry::client
