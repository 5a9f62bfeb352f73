// Dispatcher, the audit log: a line for every connection the parent refuses before a worker has it (the
// per-address limit, draining, TLS required, bytes that are not Ferry, no request in time, BUSY, shutdown).
// Requests that reach a worker are recorded there, when they finish.
#include "parent/dispatcher.h"

#include "audit/audit_time.h"

namespace ferry::server {

namespace {

audit::Record refusalRecord(const std::string &peer, proto::ErrorCode code)
{
    audit::Record record;
    record.timeMs = audit::wallClockMs();
    record.request = audit::ConnectRequest;
    record.peer = peer; // the address the scoreboard would show for it (the real client's, behind a proxy)
    record.result = proto::errorCodeName(code);
    return record; // tls stays "none": the parent refuses before any TLS handshake
}

// Names the request a queued connection was refused with (BUSY, SHUTTING_DOWN): its bytes are kept whole.
void describeRequest(std::span<const uint8_t> bytes, audit::Record &record)
{
    proto::Decoder decoder(MaxRequestPayload);
    decoder.feed(bytes);
    proto::DecodeResult result = decoder.next();
    auto *message = std::get_if<proto::Message>(&result);
    if (!message)
        return;
    record.request = proto::messageTypeName(proto::typeOf(*message));
    std::visit(
        [&record](const auto &request) {
            if constexpr (requires { request.path; })
                record.path = request.path;
            if constexpr (requires { request.offset; }) {
                record.offset = request.offset;
                if (request.length != proto::ToEnd)
                    record.length = request.length;
            }
        },
        *message);
}

} // namespace

void Dispatcher::auditRefusal(const Connection &connection, const proto::Message &last)
{
    if (!m_audit)
        return;
    proto::ErrorCode code = proto::ErrorCode::Busy;
    if (auto *error = std::get_if<proto::Error>(&last))
        code = error->code;
    else if (!std::holds_alternative<proto::Busy>(last))
        return; // not a refusal
    audit::Record record = refusalRecord(connection.peer, code);
    if (!connection.request.empty())
        describeRequest(connection.request, record);
    record.durationMs = uint64_t(std::max<int64_t>(0, monotonicNs() - connection.acceptedNs) / 1'000'000);
    m_audit->write(record);
}

void Dispatcher::auditTurnedAway(const std::string &peer)
{
    if (m_audit)
        m_audit->write(refusalRecord(peer, proto::ErrorCode::Busy));
}

} // namespace ferry::server
