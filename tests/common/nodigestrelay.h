// A loopback relay in front of a real ferry-server that answers every DIGEST request itself with
// ERROR UNSUPPORTED, which docs/PROTOCOL.md allows a server to do. Everything else passes through
// byte for byte, so a client sees the real server, only without digests: the one way to run the
// client's "size and mtime must do" path against real transfers.
//
//     NoDigestRelay relay(server.host(), server.port());
//     QVERIFY(relay.listen());
//     ... connect the client to relay.host(), relay.port() ...
//     QVERIFY(relay.digestsRefused() > 0);   // the path under test was taken
//
// It runs on the event loop of the thread that owns it (loopbackrelay.h). It relies on clients not pipelining a
// request behind a DIGEST, as the refusal is written to the client at once, between the server's replies.
#pragma once

#include "loopbackrelay.h"

#include <memory>

namespace ferrytest {

class NoDigestRelay
{
public:
    NoDigestRelay(QString upstreamHost, quint16 upstreamPort);

    // Listens on 127.0.0.1 at an ephemeral port.
    bool listen() { return m_relay.listen(); }
    QString host() const { return m_relay.host(); }
    quint16 port() const { return m_relay.port(); }
    // DIGEST requests answered with UNSUPPORTED so far.
    int digestsRefused() const { return *m_refused; }

private:
    std::shared_ptr<int> m_refused = std::make_shared<int>(0); // shared with the connections' hooks
    LoopbackRelay m_relay;
};

} // namespace ferrytest
