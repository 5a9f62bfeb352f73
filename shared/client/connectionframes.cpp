// Connection's reading: frames decoded from the socket, body bytes straight to the owner's sink (paced,
// and into its buffer when it has one), a bounded amount of work per event.
#include "connection.h"

#include "connection_p.h"

#include <QTcpSocket>

#include <utility>

namespace ferry::client {

namespace {

// 16 reads of up to 1 MiB: a few milliseconds of work at loopback speed.
constexpr int MaxReadsPerEvent = 16;

} // namespace

// Reads until the socket is drained, but at most a few blocks per call: on a fast link
// the data never runs out, and the event loop must still get to timers (progress,
// other jobs, a GUI's repaints). The socket stays readable, so readyRead comes again.
void Connection::onReadyRead()
{
    const quint64 generation = m_generation;
    for (int round = 0; round < MaxReadsPerEvent; ++round) {
        if (!m_socket || generation != m_generation)
            return;
        const bool progressed = (m_decoder.bodyRemaining() > 0 && m_decoder.buffered() == 0) ? readBody()
                                                                                           : readFrames();
        if (!progressed)
            return;
    }
    // Out of rounds with work possibly left in the decoder, which no socket event
    // would announce: continue in a later turn of the event loop.
    readInLaterTurn();
}

// Not inside the caller (the pacer's owner, in one of its signals), as reading may end in signals
// that change its world.
void Connection::resumeReading()
{
    if (!std::exchange(m_waitingForResume, false))
        return;
    touch();
    readInLaterTurn();
}

// Queued, so the caller's own work ends first; the generation drops the call if the connection was
// aborted meanwhile.
void Connection::readInLaterTurn()
{
    const quint64 generation = m_generation;
    QMetaObject::invokeMethod(
        this,
        [this, generation] {
            if (generation == m_generation)
                onReadyRead();
        },
        Qt::QueuedConnection);
}

// Reads body bytes straight into m_block and hands them to the sink; false when
// there is nothing more to read now, or reading must stop.
bool Connection::readBody()
{
    qint64 want = qint64(std::min<uint64_t>(m_decoder.bodyRemaining(), uint64_t(m_block.size())));
    if (m_bodyPacer) {
        const ReadBudget budget = m_bodyPacer(want);
        if (budget.bytes <= 0 && budget.retryInMs == ReadBudget::UntilResumed) {
            // Waiting on our own side (the hashing thread) for as long as it takes is not a stalled
            // server: the stall clock starts again when reading does.
            m_waitingForResume = true;
            m_stallTimer.stop();
            return false;
        }
        if (budget.bytes <= 0) {
            m_paceTimer.start(std::max(1, budget.retryInMs));
            touch(); // waiting on our own limit is not a stalled server
            return false;
        }
        want = std::min(want, budget.bytes);
    }
    char *into = m_block.data();
    if (const std::span<char> buffer = m_bodyBuffer ? m_bodyBuffer(want) : std::span<char>(); !buffer.empty()) {
        into = buffer.data();
        want = std::min(want, qint64(buffer.size()));
    }
    const qint64 got = m_socket->read(into, want);
    if (got < 0) {
        fail(ErrorKind::ConnectionError,
             QStringLiteral("connection to %1:%2 lost during a transfer").arg(m_host).arg(m_port));
        return false;
    }
    if (got == 0)
        return false;
    touch();
    m_decoder.consumeBodyDirect(uint64_t(got));
    return m_bodySink && m_bodySink(into, got);
}

// Decodes what the decoder holds; reads more from the socket when it needs more.
bool Connection::readFrames()
{
    proto::DecodeResult result = m_decoder.next();
    if (std::holds_alternative<proto::NeedMore>(result)) {
        const qint64 got = m_socket->read(m_block.data(), qint64(m_block.size()));
        if (got < 0) {
            fail(ErrorKind::ConnectionError, QStringLiteral("connection closed by %1:%2").arg(m_host).arg(m_port));
            return false;
        }
        if (got == 0)
            return false;
        touch();
        m_helloTimer.stop(); // something answered: whether it is Ferry, the decoder tells
        m_decoder.feed({reinterpret_cast<const uint8_t *>(m_block.data()), size_t(got)});
        return true;
    }
    return dispatch(result);
}

bool Connection::dispatch(proto::DecodeResult &result)
{
    const quint64 generation = m_generation;
    if (auto *chunk = std::get_if<proto::BodyChunk>(&result)) {
        return m_bodySink
               && m_bodySink(reinterpret_cast<const char *>(chunk->bytes.data()), qint64(chunk->bytes.size()));
    }
    if (auto *error = std::get_if<proto::DecodeError>(&result)) {
        if (m_state == State::Handshaking) { // not even a first frame: another protocol on this port
            fail(ErrorKind::ProtocolError, notFerryText(m_host, m_port));
            return false;
        }
        fail(ErrorKind::ProtocolError, QStringLiteral("bad data from %1:%2: %3")
                                           .arg(m_host)
                                           .arg(m_port)
                                           .arg(QLatin1String(proto::decodeErrorName(*error))));
        return false;
    }
    const auto &message = std::get<proto::Message>(result);
    if (const auto *busy = std::get_if<proto::Busy>(&message)) {
        fail(ErrorKind::ServerBusy, QStringLiteral("server busy: %1").arg(QString::fromStdString(busy->message)),
             int(busy->retryAfterMs));
        return false;
    }
    if (m_state == State::Handshaking)
        return handleHandshake(message);
    emit messageReceived(message);
    return generation == m_generation;
}

} // namespace ferry::client
