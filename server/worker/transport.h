// How a worker moves bytes on one client connection: straight on the socket, or through a TLS session
// that lives in this worker for the connection's life. ClientIo, the transfer and the loop speak only to
// this interface; the calls keep the syscall conventions (bytes > 0; 0 = end of stream; -1 with errno,
// EAGAIN meaning "poll for waitEvents() and call again") so the callers' loops stay as they were.
#pragma once

#include "base/unique_fd.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <sys/types.h>

namespace ferry::server {

enum class Opening {
    Ready,     // the transport carries Ferry frames now
    WantRead,  // the handshake waits for the client
    WantWrite, // the handshake waits for the socket to take data
    Failed,    // the handshake failed or the client left; close
};

class Transport {
public:
    virtual ~Transport() = default;

    // One step of opening the connection (the TLS handshake); plaintext is ready at once.
    virtual Opening open() = 0;
    virtual ssize_t receive(void *data, size_t size) = 0;
    // `more`: more data follows at once (MSG_MORE on plaintext).
    virtual ssize_t send(const void *data, size_t size, bool more) = 0;
    // Up to `count` bytes of `fileFd` from `*offset` (advanced by what was sent), as sendfile(2) does;
    // 0 at end of file. TLS may return more than `count` when it finishes a record an earlier call of
    // the same body read and could not send; never more than the body's earlier calls asked for.
    virtual ssize_t sendFile(int fileFd, off_t *offset, size_t count) = 0;
    // The body that sendFile() calls were sending is over (sent, or abandoned with its connection):
    // whatever it needed goes (TLS: its record buffer), so an idle connection holds none.
    virtual void endBody() = 0;
    // poll() events to wait for after EAGAIN (POLLOUT, or POLLIN when TLS must read first).
    virtual short waitEvents() const = 0;
    // Bytes received but held where epoll cannot see them (decrypted TLS records).
    virtual bool hasBuffered() const = 0;
    // Whether the socket can go back to the parent: plaintext yes; a TLS session cannot leave this process.
    virtual bool canHandBack() const = 0;
    // Ends the session cleanly where the protocol has a way to (TLS close_notify); never waits.
    virtual void finish() = 0;
    // After the client's FIN: sends it something it takes without a word (TLS: a KeyUpdate), so that a
    // client whose socket is closed, not only shut for writing (a half-close), answers with a reset
    // that poll() then reports. False if that send found the client gone already. Plaintext has no such
    // thing to send (every byte is the stream's): nothing is sent.
    virtual bool probe() = 0;
    // For the scoreboard and logs: "plaintext", or "TLSv1.3 TLS_AES_128_GCM_SHA256".
    virtual std::string security() const = 0;
    // Why the last call failed, when errno alone does not say (TLS).
    virtual std::string lastError() const = 0;
};

// Plain Ferry on the socket `fd` (borrowed).
class PlainTransport final : public Transport {
public:
    explicit PlainTransport(int fd) : m_fd(fd) {}
    Opening open() override { return Opening::Ready; }
    ssize_t receive(void *data, size_t size) override;
    ssize_t send(const void *data, size_t size, bool more) override;
    ssize_t sendFile(int fileFd, off_t *offset, size_t count) override;
    void endBody() override {}
    short waitEvents() const override;
    bool hasBuffered() const override { return false; }
    bool canHandBack() const override { return true; }
    void finish() override {}
    bool probe() override { return true; }
    std::string security() const override { return "plaintext"; }
    std::string lastError() const override { return {}; }

private:
    int m_fd;
};

} // namespace ferry::server
