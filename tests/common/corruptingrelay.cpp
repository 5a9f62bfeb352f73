#include "corruptingrelay.h"

#include "protocol/codec.h"

#include <QTcpSocket>

#include <utility>

namespace ferrytest {

namespace {

namespace proto = ferry::proto;

// Whether `bytes` (a connection's first bytes) start with a HELLO naming version 2.
bool isVersion2Hello(const QByteArray &bytes)
{
    proto::Decoder decoder;
    decoder.feed({reinterpret_cast<const uint8_t *>(bytes.constData()), size_t(bytes.size())});
    proto::DecodeResult result = decoder.next();
    const auto *message = std::get_if<proto::Message>(&result);
    const auto *hello = message ? std::get_if<proto::Hello>(message) : nullptr;
    return hello && hello->version >= 2;
}

QByteArray frameOf(const proto::Message &message)
{
    const std::vector<uint8_t> bytes = proto::encode(message);
    return QByteArray(reinterpret_cast<const char *>(bytes.data()), qsizetype(bytes.size()));
}

} // namespace

CorruptingRelay::CorruptingRelay(QString upstreamHost, quint16 upstreamPort)
    : m_relay(std::move(upstreamHost), upstreamPort, [this] { return hooksForConnection(); })
{
}

void CorruptingRelay::flipByteAt(qint64 offset, int connections)
{
    m_state->offset = offset;
    m_state->flipsLeft = connections;
}

LoopbackRelay::Hooks CorruptingRelay::hooksForConnection()
{
    ++m_state->connections;
    auto passed = std::make_shared<qint64>(0); // this connection's server → client bytes so far
    std::shared_ptr<State> state = m_state;
    auto toClient = [passed, state](QByteArray &bytes) {
        const qint64 at = state->offset - *passed;
        if (state->flipsLeft > 0 && at >= 0 && at < bytes.size()) {
            bytes[at] = char(~bytes[at]);
            --state->flipsLeft;
            ++state->flips;
        }
        *passed += bytes.size();
        state->bytesToClients += bytes.size();
    };
    auto first = std::make_shared<bool>(true);
    auto fromClient = [first, state](QTcpSocket &client, QTcpSocket &upstream) {
        const QByteArray bytes = client.readAll();
        if (std::exchange(*first, false) && state->refuseVersion2 && isVersion2Hello(bytes)) {
            ++state->version2Refused;
            client.write(frameOf(proto::Error{proto::ErrorCode::UnsupportedVersion, "this server speaks version 1"}));
            client.disconnectFromHost();
            upstream.abort();
            return true;
        }
        upstream.write(bytes);
        return true;
    };
    return {fromClient, toClient};
}

} // namespace ferrytest
