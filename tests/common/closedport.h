// A loopback port nothing listens on (bound, then released at once), for a server that is down. Another
// process could take it meanwhile; on loopback in a test run that does not happen in practice.
#pragma once

#include <QHostAddress>
#include <QTcpServer>

namespace ferrytest {

inline quint16 closedPort()
{
    QTcpServer probe;
    return probe.listen(QHostAddress::LocalHost, 0) ? probe.serverPort() : 0; // released when it returns
}

} // namespace ferrytest
