#include "nodigestrelay.h"

#include "protocol/codec.h"

#include <QTcpSocket>

#include <variant>

namespace ferrytest {

namespace {

namespace proto = ferry::proto;

QByteArray frameOf(const proto::Message &message)
{
    const std::vector<uint8_t> bytes = proto::encode(message);
    return QByteArray(reinterpret_cast<const char *>(bytes.data()), qsizetype(bytes.size()));
}

// Passes the client's frames on, answering DIGEST itself. False when the client's bytes do not
// decode: the relay then drops both sides, as the server would close on bad input.
bool forwardRequests(proto::Decoder &decoder, QTcpSocket *client, QTcpSocket *upstream, int &refused)
{
    const QByteArray bytes = client->readAll();
    decoder.feed({reinterpret_cast<const uint8_t *>(bytes.constData()), size_t(bytes.size())});
    for (;;) {
        proto::DecodeResult result = decoder.next();
        if (std::holds_alternative<proto::NeedMore>(result))
            return true;
        if (std::holds_alternative<proto::DecodeError>(result))
            return false;
        if (const auto *message = std::get_if<proto::Message>(&result)) {
            if (std::holds_alternative<proto::DigestRequest>(*message)) {
                ++refused;
                client->write(frameOf(proto::Error{proto::ErrorCode::Unsupported, "this server computes no digests"}));
            } else {
                upstream->write(frameOf(*message));
            }
        }
    }
}

} // namespace

NoDigestRelay::NoDigestRelay(QString upstreamHost, quint16 upstreamPort)
    : m_relay(std::move(upstreamHost), upstreamPort, [refused = m_refused] {
          auto decoder = std::make_shared<proto::Decoder>();
          return LoopbackRelay::Hooks{[decoder, refused](QTcpSocket &client, QTcpSocket &upstream) {
                                          return forwardRequests(*decoder, &client, &upstream, *refused);
                                      },
                                      {}};
      })
{
}

} // namespace ferrytest
