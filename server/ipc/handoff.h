// Passing client connections between the parent and a worker over their SOCK_SEQPACKET socketpair:
// one fixed header, the bytes already read from the client, and at most one fd (SCM_RIGHTS).
// One datagram per message, so a message is never split or merged.
#pragma once

#include "base/unique_fd.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ferry::server {

enum class HandoffKind : uint32_t {
    Dispatch = 1, // parent -> worker: serve this connection (fd attached)
    Park = 2,     // worker -> parent: the connection is quiet (or must wait), watch it (fd attached)
    Done = 3,     // worker -> parent: I closed the connection
    Busy = 4,     // worker -> parent: I am in a long response; send me no connections until Ready
    Ready = 5,    // worker -> parent: I take connections again
    DispatchTls = 6, // parent -> worker: a client that opened with a TLS ClientHello, nothing read from it
                     // (fd attached); the worker handshakes and keeps it for the connection's life. A
                     // worker that cannot take it hands it back unread with Park.
};

// How many connections one worker holds at most. A worker serves them from one epoll loop; the parent
// sends a worker no more than this, so a worker never has to refuse one.
constexpr uint32_t MaxConnectionsPerWorker = 64;
// TLS connections stay in their worker for life, mostly idle between requests (about 27 KiB each,
// docs/PERFORMANCE.md), where plaintext ones wait in the parent: a worker holds up to this many of them
// besides its plaintext ones, so 4 workers keep 1,024 TLS clients connected.
constexpr uint32_t MaxTlsConnectionsPerWorker = 256;

// What a connection has negotiated so far. It travels with the connection (Dispatch, Park), because a
// parked plaintext connection may be served by another worker next.
struct SessionState {
    uint16_t protocolVersion = 0; // chosen by the connection's first HELLO; 0 until then
};

struct HandoffMessage {
    HandoffKind kind = HandoffKind::Dispatch;
    uint64_t connectionId = 0;
    std::string peer;            // "1.2.3.4:5678", for logs and the scoreboard
    std::vector<uint8_t> bytes;  // client bytes already read and not yet consumed
    UniqueFd fd;                 // the client socket (Dispatch, Park)
    SessionState session;
};

// The largest request frame payload the server decodes: a path string at its wire maximum (65,535 bytes,
// so an over-long path is answered FORBIDDEN rather than "frame too large") plus the other fields.
constexpr uint32_t MaxRequestPayload = 65535 + 64;
// Largest `bytes` a handoff may carry: at most one partial request frame plus one 16 KiB read.
constexpr size_t MaxHandoffBytes = 128 * 1024;

// Creates the socketpair (SOCK_SEQPACKET, CLOEXEC). Returns 0 or an errno value.
int makeChannel(UniqueFd &parentEnd, UniqueFd &workerEnd);

// Sends `message` (its fd, if valid, is duplicated into the peer; the caller still owns and closes its copy).
// `flags` e.g. MSG_DONTWAIT. Returns 0 or an errno value (EAGAIN when it would block).
int sendHandoff(int channel, const HandoffMessage &message, int flags = 0);

enum class ReceiveStatus { Ok, WouldBlock, Closed, Error };
struct ReceiveResult {
    ReceiveStatus status = ReceiveStatus::Error;
    int error = 0;          // errno value, or EPROTO for a malformed message
    HandoffMessage message; // valid when status == Ok; its fd is CLOEXEC and owned by the caller
};

// Receives one message. Distrusts the peer: a truncated or malformed message, or one with unexpected
// control data, is rejected with every received fd closed.
ReceiveResult receiveHandoff(int channel, int flags = 0);

} // namespace ferry::server
