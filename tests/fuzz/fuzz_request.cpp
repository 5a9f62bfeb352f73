// libFuzzer target: a worker answering one decoded request, for real. RequestHandler::handle() runs with
// the real Jail over fuzz_tree.h's tree (links in and out of it, a FIFO, a hidden file) and a real
// ClientIo on one end of a socketpair; the fuzzer reads the other end and decodes the answer.
//
// Input: [type u8][algo u8][offset u64 BE][length u64 BE][path: the rest]; missing bytes count as 0.
// type % 8 picks LIST, STAT, GET, DIGEST, HELLO, WELCOME (a server-to-client type a client may not
// send), AUTH (the path is the token) or MANIFEST; bit 3 of type puts the connection in protocol
// version 2 (its HELLO's version too); bit 4 confines it to the subtree dir/ (a token's grant: nothing
// outside dir/ is answered, but for a LIST of the root, which shows the way to dir/ alone). Checked on
// every input, besides the sanitizers' own checks:
//   - the answer is a well-formed stream: one ERROR, or the reply its request calls for (LIST_PAGEs
//     ending with last = 1; STAT_REPLY; BODY, exactly `length` raw bytes, BODY_END; DIGEST_REPLY;
//     WELCOME), and nothing after it;
//   - no answer carries the content of the file outside the root;
//   - whatever the jail lets through names no absolute path, no `..`, no NUL and no hidden component
//     (the path rules of docs/PROTOCOL.md §1, checked here independently of Jail::check).
#include "fuzz_tree.h"

#include "base/log.h"
#include "ipc/scoreboard.h"
#include "manifest/manifest_store.h"
#include "protocol/codec.h"
#include "worker/client_io.h"
#include "worker/jail.h"
#include "worker/request_handler.h"
#include "worker/transport.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

using namespace ferry;
using namespace ferry::server;

namespace {

[[noreturn]] void violated(const char *what, const std::string &path)
{
    std::fprintf(stderr, "fuzz invariant violated: %s\npath: '%s'\n", what, path.substr(0, 200).c_str());
    std::abort();
}

uint64_t bigEndian(const uint8_t *data, size_t size, size_t at)
{
    uint64_t value = 0;
    for (size_t i = 0; i < 8; ++i)
        value = (value << 8) | (at + i < size ? data[at + i] : 0);
    return value;
}

proto::Message requestFrom(const uint8_t *data, size_t size, std::string &path)
{
    const uint8_t type = size > 0 ? data[0] : 0;
    const auto algo = proto::DigestAlgo(size > 1 ? data[1] : 1);
    const uint64_t offset = bigEndian(data, size, 2);
    const uint64_t length = bigEndian(data, size, 10);
    path.assign(size > 18 ? reinterpret_cast<const char *>(data + 18) : "", size > 18 ? size - 18 : 0);
    const uint16_t version = (type & 8) ? proto::ProtocolVersion2 : proto::ProtocolVersion;
    switch (type % 8) {
    case 0: return proto::ListRequest{path};
    case 1: return proto::StatRequest{path};
    case 2: return proto::GetRequest{path, offset, length};
    case 3: return proto::DigestRequest{path, algo, offset, length};
    case 4: return proto::Hello{version, path};
    case 5: return proto::Welcome{proto::ProtocolVersion, proto::MaxFramePayload, path, {}};
    case 6: return proto::AuthRequest{path};
    default: return (type & 0x20) ? proto::Message(proto::Bye{}) : proto::Message(proto::ManifestRequest{path});
    }
}

// The rules every path the server serves must obey, written from the spec rather than from jail.cpp.
bool followsPathRules(const std::string &path)
{
    if (path.find('\0') != std::string::npos || (!path.empty() && path.front() == '/'))
        return false;
    size_t start = 0;
    while (start <= path.size()) {
        const size_t end = std::min(path.find('/', start), path.size());
        const std::string_view part(path.data() + start, end - start);
        if (part == ".." || (!part.empty() && part.front() == '.' && part != "."))
            return false;
        start = end + 1;
    }
    return true;
}

// Whether `path`, spelled as the spec allows (followsPathRules), names dir or something below it, and
// not through dir/up (the link back to the root).
bool insideDir(const std::string &path)
{
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= path.size()) {
        const size_t end = std::min(path.find('/', start), path.size());
        if (end > start)
            parts.emplace_back(path, start, end - start);
        start = end + 1;
    }
    return !parts.empty() && parts[0] == "dir" && (parts.size() < 2 || (parts[1] != "up" && parts[1] != "out-dir"));
}

struct Answer {
    std::vector<proto::Message> messages;
    std::string body; // raw body bytes
    bool wellFormed = true;
};

// A LIST of the root, the one place above dir/ (docs/PROTOCOL.md §10.7), may be answered under the grant,
// but with the way to dir/ alone: one entry, "dir", a directory.
bool listsOnlyTheWayToDir(const proto::Message &request, const std::string &path, const Answer &answer)
{
    if (!std::holds_alternative<proto::ListRequest>(request) || path.find_first_not_of('/') != std::string::npos)
        return false;
    size_t entries = 0;
    for (const proto::Message &message : answer.messages) {
        const auto *page = std::get_if<proto::ListPage>(&message);
        if (!page)
            return false;
        for (const proto::Entry &entry : page->entries) {
            if (entry.name != "dir" || entry.kind != proto::EntryKind::Directory)
                return false;
            ++entries;
        }
    }
    return entries == 1;
}

Answer readAnswer(int fd)
{
    Answer answer;
    proto::Decoder decoder;
    uint8_t buffer[65536];
    for (;;) {
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
        if (n <= 0)
            break;
        decoder.feed(std::span<const uint8_t>(buffer, size_t(n)));
    }
    for (;;) {
        proto::DecodeResult result = decoder.finish();
        if (auto *message = std::get_if<proto::Message>(&result))
            answer.messages.push_back(std::move(*message));
        else if (auto *chunk = std::get_if<proto::BodyChunk>(&result))
            answer.body.append(reinterpret_cast<const char *>(chunk->bytes.data()), chunk->bytes.size());
        else {
            answer.wellFormed = std::holds_alternative<proto::NeedMore>(result);
            return answer;
        }
    }
}

// Whether `answer` is what `request` calls for: one ERROR, or its reply and nothing else.
bool answersRequest(const proto::Message &request, const Answer &answer)
{
    const auto &m = answer.messages;
    if (!answer.wellFormed || m.empty())
        return false;
    if (std::holds_alternative<proto::Error>(m.front()))
        return m.size() == 1;
    if (std::holds_alternative<proto::ListRequest>(request)) {
        for (size_t i = 0; i < m.size(); ++i) {
            const auto *page = std::get_if<proto::ListPage>(&m[i]);
            if (!page || page->last != (i + 1 == m.size()))
                return false;
        }
        return true;
    }
    if (std::holds_alternative<proto::ManifestRequest>(request)) {
        for (size_t i = 0; i < m.size(); ++i) {
            const auto *page = std::get_if<proto::ManifestPage>(&m[i]);
            if (!page || page->last != (i + 1 == m.size()))
                return false;
        }
        return true;
    }
    if (std::holds_alternative<proto::GetRequest>(request)) {
        const auto *body = std::get_if<proto::Body>(&m.front());
        return m.size() == 2 && body && std::holds_alternative<proto::BodyEnd>(m[1])
            && answer.body.size() == body->length;
    }
    if (m.size() != 1)
        return false;
    if (std::holds_alternative<proto::StatRequest>(request))
        return std::holds_alternative<proto::StatReply>(m.front());
    if (std::holds_alternative<proto::DigestRequest>(request))
        return std::holds_alternative<proto::DigestReply>(m.front());
    if (std::holds_alternative<proto::AuthRequest>(request))
        return std::holds_alternative<proto::AuthReply>(m.front());
    return std::holds_alternative<proto::Hello>(request) && std::holds_alternative<proto::Welcome>(m.front());
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    log::setLevel(log::Level::Error); // a refused request is routine here, not news
    fuzz::fuzzTree();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const Jail jail = Jail::open(fuzz::fuzzTree().root, false);
    std::string path;
    const proto::Message request = requestFrom(data, size, path);

    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
        violated("socketpair() failed", path);
    const UniqueFd serverEnd(pair[0]), clientEnd(pair[1]);
    const int buffer = 4 << 20; // the whole answer fits: the tree's files are small
    ::setsockopt(serverEnd.get(), SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
    ::setsockopt(clientEnd.get(), SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);

    WorkerSlot slot;
    ControlBlock control;
    static const WorkerAccess access; // anonymous: the whole tree; no tokens
    RequestHandler handler(jail, slot, control, access, manifest::ManifestStore(std::nullopt));
    PlainTransport transport(serverEnd.get());
    ClientIo io(serverEnd.get(), transport, Millis(2000), [] { return false; });
    Session session;
    session.negotiated.protocolVersion = (size > 0 && (data[0] & 8)) ? proto::ProtocolVersion2 : proto::ProtocolVersion;
    // Bit 4: the connection's grant is the subtree "dir" only, as under a token scoped to it; then nothing
    // outside dir/ may be answered, and dir/up (a link to the root) must be refused too.
    const bool confined = size > 0 && (data[0] & 16);
    session.access.grant = confined ? Grant{false, {"dir"}} : Grant::all();
    const AfterRequest after = handler.handle(io, session, request);
    io.flush();

    const Answer answer = readAnswer(clientEnd.get());
    if (std::holds_alternative<proto::Bye>(request)) { // nothing to answer in version 2, refused in version 1
        const bool version2 = session.negotiated.protocolVersion >= proto::ProtocolVersion2;
        if (!answer.wellFormed || (version2 ? !answer.messages.empty() || after != AfterRequest::Bye
                                            : answer.messages.size() != 1 || after != AfterRequest::Close))
            violated("BYE was not closed on, or not refused in version 1", path);
        return 0;
    }
    if (!answersRequest(request, answer))
        violated("the answer is not what the request calls for", path);
    if (answer.body.find(fuzz::SecretMarker) != std::string::npos)
        violated("a body holds the file outside the root", path);
    const bool refused = std::holds_alternative<proto::Error>(answer.messages.front());
    const bool namesAPath = !std::holds_alternative<proto::Hello>(request)
        && !std::holds_alternative<proto::Welcome>(request) && !std::holds_alternative<proto::AuthRequest>(request);
    if (namesAPath && !refused && !followsPathRules(path))
        violated("the jail let a path through that the spec forbids", path);
    if (confined && namesAPath && !refused && !insideDir(path) && !listsOnlyTheWayToDir(request, path, answer))
        violated("a request confined to dir/ was answered for a path outside it", path);
    return 0;
}
