#include "worker/tls_transport.h"

#include <algorithm>
#include <cerrno>
#include <poll.h>
#include <unistd.h>

namespace ferry::server {

using tls::TlsStatus;

std::unique_ptr<TlsTransport> TlsTransport::accept(const tls::TlsContext &context, int fd, std::string &error)
{
    std::unique_ptr<tls::TlsSession> session = tls::TlsSession::accept(context, fd, error);
    if (!session)
        return nullptr;
    return std::unique_ptr<TlsTransport>(new TlsTransport(std::move(session)));
}

Opening TlsTransport::open()
{
    switch (m_session->handshake()) {
    case TlsStatus::Ok: return Opening::Ready;
    case TlsStatus::WantRead: return Opening::WantRead;
    case TlsStatus::WantWrite: return Opening::WantWrite;
    case TlsStatus::Closed:
    case TlsStatus::Failed: return Opening::Failed;
    }
    return Opening::Failed;
}

ssize_t TlsTransport::stalled(TlsStatus status, bool reading)
{
    switch (status) {
    case TlsStatus::Ok: errno = EAGAIN; return -1; // a zero-byte success; callers retry
    case TlsStatus::WantRead:
    case TlsStatus::WantWrite:
        m_waitingFor = status;
        errno = EAGAIN;
        return -1;
    case TlsStatus::Closed:
        if (reading)
            return 0;
        errno = EPIPE;
        return -1;
    case TlsStatus::Failed: errno = EPROTO; return -1;
    }
    errno = EPROTO;
    return -1;
}

ssize_t TlsTransport::receive(void *data, size_t size)
{
    tls::TlsIo io = m_session->read(data, size);
    return io.status == TlsStatus::Ok && io.bytes > 0 ? ssize_t(io.bytes) : stalled(io.status, true);
}

ssize_t TlsTransport::send(const void *data, size_t size, bool)
{
    tls::TlsIo io = m_session->write(data, size);
    return io.status == TlsStatus::Ok && io.bytes > 0 ? ssize_t(io.bytes) : stalled(io.status, false);
}

ssize_t TlsTransport::sendFile(int fileFd, off_t *offset, size_t count)
{
    // Bytes left in the buffer by a write that would block go out first and whole, even if this call
    // asks for fewer (OpenSSL refuses a retry shorter than the blocked write): they were read for this
    // body within an earlier call's count, so the total never passes what the transfer asked for.
    if (!m_buffer)
        m_buffer = std::make_unique<RecordBuffer>(); // 64 KiB, four records' plaintext, for this body
    RecordBuffer &buffer = *m_buffer;
    size_t done = 0;
    while (done < count || m_begin < m_end) {
        if (m_begin == m_end) {
            size_t want = std::min(count - done, buffer.size());
            ssize_t got = pread(fileFd, buffer.data(), want, *offset);
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0)
                return done > 0 ? ssize_t(done) : got; // 0: end of file before the announced length
            m_begin = 0;
            m_end = size_t(got);
        }
        const size_t record = std::min(m_end - m_begin, tls::MaxRecordPayload);
        tls::TlsIo io = m_session->write(buffer.data() + m_begin, record);
        if (io.status != TlsStatus::Ok || io.bytes == 0)
            return done > 0 ? ssize_t(done) : stalled(io.status, false);
        m_begin += io.bytes;
        *offset += off_t(io.bytes);
        done += io.bytes;
    }
    return ssize_t(done);
}

void TlsTransport::endBody()
{
    m_buffer.reset();
    m_begin = m_end = 0;
}

bool TlsTransport::probe()
{
    // Would block: the KeyUpdate goes out ahead of the next write, which OpenSSL completes first.
    const TlsStatus status = m_session->updateKeys();
    return status == TlsStatus::Ok || status == TlsStatus::WantWrite || status == TlsStatus::WantRead;
}

short TlsTransport::waitEvents() const { return m_waitingFor == TlsStatus::WantRead ? POLLIN : POLLOUT; }

std::string TlsTransport::security() const { return m_session->version() + " " + m_session->cipher(); }

} // namespace ferry::server
