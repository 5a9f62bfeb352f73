// What the files of Connection share: connection.cpp (opening, timers, failing), connectiontls.cpp
// (the TLS socket and refusals before TLS), connectionframes.cpp (reading frames and bodies) and
// connectionhandshake.cpp (HELLO, WELCOME, AUTH). Internal to the engine.
#pragma once

#include <QSet>
#include <QString>

namespace ferry::client {

// What a port that answers in another protocol is told: Ferry's own words ("bad data", "wrong version
// number") would not say that the address is the thing to check.
QString notFerryText(const QString &host, quint16 port);

// Servers that refused a version 2 HELLO: later connections to them say version 1 at once.
QSet<QString> &version1Servers();

} // namespace ferry::client
