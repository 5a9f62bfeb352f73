#include "messages.h"

#include <iterator>

namespace ferry::proto {

namespace {

// The variant's alternatives in declaration order, so index() maps straight to a type.
constexpr MessageType TypeByIndex[] = {
    MessageType::Hello,     MessageType::List, MessageType::Stat,    MessageType::Get,
    MessageType::Digest,    MessageType::Welcome, MessageType::ListPage, MessageType::StatReply,
    MessageType::Body,      MessageType::BodyEnd, MessageType::Busy, MessageType::DigestReply,
    MessageType::Error,     MessageType::Auth, MessageType::Manifest, MessageType::AuthReply,
    MessageType::ManifestPage, MessageType::Bye,
};
static_assert(std::size(TypeByIndex) == std::variant_size_v<Message>);

} // namespace

MessageType typeOf(const Message &message)
{
    return TypeByIndex[message.index()];
}

const char *messageTypeName(MessageType type)
{
    switch (type) {
    case MessageType::Hello: return "HELLO";
    case MessageType::List: return "LIST";
    case MessageType::Stat: return "STAT";
    case MessageType::Get: return "GET";
    case MessageType::Digest: return "DIGEST";
    case MessageType::Welcome: return "WELCOME";
    case MessageType::ListPage: return "LIST_PAGE";
    case MessageType::StatReply: return "STAT_REPLY";
    case MessageType::Body: return "BODY";
    case MessageType::BodyEnd: return "BODY_END";
    case MessageType::Busy: return "BUSY";
    case MessageType::DigestReply: return "DIGEST_REPLY";
    case MessageType::Error: return "ERROR";
    case MessageType::Auth: return "AUTH";
    case MessageType::Manifest: return "MANIFEST";
    case MessageType::AuthReply: return "AUTH_REPLY";
    case MessageType::ManifestPage: return "MANIFEST_PAGE";
    case MessageType::Bye: return "BYE";
    }
    return "UNKNOWN";
}

bool isKnownMessageType(uint8_t value)
{
    switch (static_cast<MessageType>(value)) {
    case MessageType::Hello:
    case MessageType::List:
    case MessageType::Stat:
    case MessageType::Get:
    case MessageType::Digest:
    case MessageType::Welcome:
    case MessageType::ListPage:
    case MessageType::StatReply:
    case MessageType::Body:
    case MessageType::BodyEnd:
    case MessageType::Busy:
    case MessageType::DigestReply:
    case MessageType::Error:
    case MessageType::Auth:
    case MessageType::Manifest:
    case MessageType::AuthReply:
    case MessageType::ManifestPage:
    case MessageType::Bye:
        return true;
    }
    return false;
}

bool isVersion2Only(MessageType type)
{
    return type == MessageType::Auth || type == MessageType::Manifest || type == MessageType::AuthReply
           || type == MessageType::ManifestPage || type == MessageType::Bye;
}

const std::string *capability(const Welcome &welcome, std::string_view name)
{
    for (const Capability &c : welcome.capabilities) {
        if (c.name == name) {
            return &c.value;
        }
    }
    return nullptr;
}

const char *errorCodeName(ErrorCode code)
{
    switch (code) {
    case ErrorCode::Ok: return "OK";
    case ErrorCode::BadRequest: return "BAD_REQUEST";
    case ErrorCode::UnsupportedVersion: return "UNSUPPORTED_VERSION";
    case ErrorCode::NotFound: return "NOT_FOUND";
    case ErrorCode::Forbidden: return "FORBIDDEN";
    case ErrorCode::NotAFile: return "NOT_A_FILE";
    case ErrorCode::NotADirectory: return "NOT_A_DIRECTORY";
    case ErrorCode::Busy: return "BUSY";
    case ErrorCode::ShuttingDown: return "SHUTTING_DOWN";
    case ErrorCode::Internal: return "INTERNAL";
    case ErrorCode::FileChanged: return "FILE_CHANGED";
    case ErrorCode::RangeNotSatisfiable: return "RANGE_NOT_SATISFIABLE";
    case ErrorCode::Timeout: return "TIMEOUT";
    case ErrorCode::Unsupported: return "UNSUPPORTED";
    case ErrorCode::TlsRequired: return "TLS_REQUIRED";
    case ErrorCode::Unauthorized: return "UNAUTHORIZED";
    case ErrorCode::TokenExpired: return "TOKEN_EXPIRED";
    case ErrorCode::QuotaExceeded: return "QUOTA_EXCEEDED";
    }
    // Codes from a newer peer are carried through unchanged (see PROTOCOL.md).
    return "UNKNOWN";
}

} // namespace ferry::proto
