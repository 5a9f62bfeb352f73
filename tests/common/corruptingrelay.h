// A loopback relay in front of a real ferry-server that damages what it passes on: one byte at
// a chosen offset of the server's stream, on the first N connections that get that far — what a
// faulty link or middlebox does to a transfer. It also counts the bytes it passed to clients, so
// a test can tell how much of a file was fetched again.
//
//     CorruptingRelay relay(server.host(), server.port());
//     relay.flipByteAt(5 << 20, 1);   // byte 5 MiB into the first connection's stream
//     QVERIFY(relay.listen());
//     ... connect the client to relay.host(), relay.port() ...
//     QCOMPARE(relay.flips(), 1);
//
// It runs on the event loop of the thread that owns it (loopbackrelay.h).
#pragma once

#include "loopbackrelay.h"

#include <memory>

namespace ferrytest {

class CorruptingRelay
{
public:
    CorruptingRelay(QString upstreamHost, quint16 upstreamPort);

    // Flip the bits of the byte at `offset` of each server → client stream, on at most
    // `connections` connections (those that get that far first).
    void flipByteAt(qint64 offset, int connections);
    // Answers a version 2 HELLO with ERROR UNSUPPORTED_VERSION and closes, as a server from
    // before version 2 does; version 1 connections pass. The client then sees an old server.
    void refuseVersion2() { m_state->refuseVersion2 = true; }
    int version2Refused() const { return m_state->version2Refused; }
    bool listen() { return m_relay.listen(); }
    QString host() const { return m_relay.host(); }
    quint16 port() const { return m_relay.port(); }
    int flips() const { return m_state->flips; }
    int connections() const { return m_state->connections; }
    qint64 bytesToClients() const { return m_state->bytesToClients; }

private:
    struct State {
        qint64 offset = -1;
        int flipsLeft = 0;
        int flips = 0;
        int connections = 0;
        qint64 bytesToClients = 0;
        bool refuseVersion2 = false;
        int version2Refused = 0;
    };
    LoopbackRelay::Hooks hooksForConnection();

    std::shared_ptr<State> m_state = std::make_shared<State>(); // shared with the connections' hooks
    LoopbackRelay m_relay;
};

} // namespace ferrytest
