// Ferry inside TLS 1.3 on a socket this worker holds for the connection's life. File bodies go out with
// pread() into one reused 64 KiB buffer per body and SSL_write() of 16 KiB records from it: four records
// per pread() (nginx reads 32 KiB for two), no allocation per chunk.
// (With kernel TLS, SSL_sendfile() could keep the zero-copy path; this machine's kernel has no
// CONFIG_TLS, so that branch is not built: docs/SECURITY.md.)
#pragma once

#include "tls/first_bytes.h"
#include "tls/tls_session.h"
#include "worker/transport.h"

#include <array>
#include <cstdint>
#include <memory>

namespace ferry::server {

class TlsTransport final : public Transport {
public:
    // Null (and `error` set) if the session cannot be made. `fd` is borrowed.
    static std::unique_ptr<TlsTransport> accept(const tls::TlsContext &context, int fd, std::string &error);

    Opening open() override;
    ssize_t receive(void *data, size_t size) override;
    ssize_t send(const void *data, size_t size, bool more) override;
    ssize_t sendFile(int fileFd, off_t *offset, size_t count) override;
    void endBody() override;
    short waitEvents() const override;
    bool hasBuffered() const override { return m_session->hasBuffered(); }
    bool canHandBack() const override { return false; }
    void finish() override { m_session->shutdown(); }
    bool probe() override;
    std::string security() const override;
    std::string lastError() const override { return m_session->lastError(); }

private:
    explicit TlsTransport(std::unique_ptr<tls::TlsSession> session) : m_session(std::move(session)) {}
    // Maps a status that moved no byte to the syscall convention: -1 with errno (or 0 for Closed on reads).
    ssize_t stalled(tls::TlsStatus status, bool reading);

    std::unique_ptr<tls::TlsSession> m_session;
    tls::TlsStatus m_waitingFor = tls::TlsStatus::WantWrite;
    // Four records' plaintext: a pread() per 16 KiB cost a system call per record (docs/PERFORMANCE.md,
    // "Fewer system calls per TLS body").
    static constexpr size_t RecordsPerRead = 4;
    using RecordBuffer = std::array<uint8_t, RecordsPerRead * tls::MaxRecordPayload>;
    // The body's read buffer, made by its first sendFile() and dropped by endBody(). Bodies of this
    // worker's connections are sent interleaved (worker/body_stream.h), so each needs its own.
    std::unique_ptr<RecordBuffer> m_buffer;
    // File bytes read but not yet taken by SSL_write: [m_begin, m_end) of m_buffer, which are the
    // file's bytes at the caller's *offset. Each SSL_write() takes at most one record's worth from
    // m_begin, so a write that would block is retried with the same bytes, as OpenSSL requires.
    size_t m_begin = 0, m_end = 0;
};

} // namespace ferry::server
