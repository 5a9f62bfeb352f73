// Passing client connections between the parent and a worker over their SOCK_SEQPACKET socketpair:
// one fixed header, the bytes already read from the client, and at most one fd (SCM_RIGHTS) per
// message. A datagram carries one message or a batch of up to MaxHandoffBatch (the parent's accepts of
// one wake-up, one sendmsg and one worker wake-up for all of them), and is never split or merged.
#pragma once

#include "base/unique_fd.h"

#include <cstdint>
#include <span>
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
    // The token its AUTH presented, as a slot of the token table (ipc/token_table.h): index + 1 (0 = none)
    // and the slot's serial then, so the worker that serves it next finds the same token (or sees that
    // it is gone). Never the secret.
    uint32_t tokenSlot = 0;
    uint32_t tokenSerial = 0;
};

struct HandoffMessage {
    HandoffKind kind = HandoffKind::Dispatch;
    uint64_t connectionId = 0;
    std::string peer;            // "1.2.3.4:5678", for logs and the scoreboard
    std::vector<uint8_t> bytes;  // client bytes already read and not yet consumed
    UniqueFd fd;                 // the client socket (Dispatch, Park)
    SessionState session;
    // DispatchTls: when (CLOCK_MONOTONIC, shared by both processes) the request timeout counted from
    // accept runs out. The handshake and the first request must be done by then; 0 = no deadline.
    int64_t deadlineNs = 0;
};

// The largest request frame payload the server decodes: a path string at its wire maximum (65,535 bytes,
// so an over-long path is answered FORBIDDEN rather than "frame too large") plus the other fields.
constexpr uint32_t MaxRequestPayload = 65535 + 64;
// Largest `bytes` a handoff may carry: at most one partial request frame plus one 16 KiB read.
constexpr size_t MaxHandoffBytes = 128 * 1024;

// Messages per datagram at most: the parent accepts at most 64 connections per wake-up and spreads
// them over its workers; SCM_RIGHTS itself carries up to 253 fds (SCM_MAX_FD).
constexpr size_t MaxHandoffBatch = 32;

// Creates the socketpair (SOCK_SEQPACKET, CLOEXEC). Returns 0 or an errno value.
int makeChannel(UniqueFd &parentEnd, UniqueFd &workerEnd);

// Sends `message` (its fd, if valid, is duplicated into the peer; the caller still owns and closes its copy).
// `flags` e.g. MSG_DONTWAIT. Returns 0 or an errno value (EAGAIN when it would block).
int sendHandoff(int channel, const HandoffMessage &message, int flags = 0);

// Sends up to MaxHandoffBatch messages in one datagram, as sendHandoff() each (fds duplicated into the
// peer, the caller's copies stay the caller's): all of them arrive or none. EMSGSIZE if there are more
// messages, or more bytes in all, than one datagram may carry.
int sendHandoffs(int channel, std::span<const HandoffMessage> messages, int flags = 0);

enum class ReceiveStatus { Ok, WouldBlock, Closed, Error };
struct ReceiveResult {
    ReceiveStatus status = ReceiveStatus::Error;
    int error = 0;          // errno value, or EPROTO for a malformed message
    HandoffMessage message; // valid when status == Ok; its fd is CLOEXEC and owned by the caller
};

// Receives one datagram holding exactly one message. Distrusts the peer: a truncated or malformed
// message, or one with unexpected control data, is rejected with every received fd closed.
ReceiveResult receiveHandoff(int channel, int flags = 0);

struct ReceiveBatch {
    ReceiveStatus status = ReceiveStatus::Error;
    int error = 0;
    std::vector<HandoffMessage> messages; // when status == Ok: one or more, in the order sent
};
// Receives one datagram of one or more messages, validated as receiveHandoff() does (every record,
// and exactly as many fds as the records say): all messages are delivered, or none and every fd closed.
ReceiveBatch receiveHandoffs(int channel, int flags = 0);

} // namespace ferry::server
