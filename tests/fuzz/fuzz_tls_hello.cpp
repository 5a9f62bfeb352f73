// libFuzzer target: what a new connection's first bytes lead to on the TLS side.
//
// Input: one control byte, then the bytes a client sends. Checked on every input:
//   - the parent's first-bytes rules (tls/first_bytes.h) are consistent: the verdict depends on the
//     first byte only, and checkFirstRecord() never goes back on a verdict as more bytes arrive
//     (Complete and Malformed stay so; NeedMore only while the record is incomplete), and its
//     head-and-count form (what the parent peeks, and FIONREAD) agrees with it;
//   - the worker's handshake step (tls/tls_session.h) on those bytes, fed in pieces over a real
//     non-blocking socketpair, always returns at once, and once the input is used up it either waits
//     for more (WantRead: the worker's handshake deadline then closes it) or has failed; it never
//     completes (no input here can finish a handshake) and never blocks. Control bit 0: the client
//     half-closes after its bytes (then the step must end Failed or Closed, never WantRead).
#include "tls/certificate.h"
#include "tls/first_bytes.h"
#include "tls/tls_context.h"
#include "tls/tls_session.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <memory>
#include <sys/socket.h>
#include <unistd.h>

using namespace ferry::server::tls;

namespace {

[[noreturn]] void violated(const char *what)
{
    std::fprintf(stderr, "fuzz invariant violated: %s\n", what);
    std::abort();
}

bool writeFile(const std::string &path, const std::string &text)
{
    FILE *file = std::fopen(path.c_str(), "w");
    bool ok = file && std::fwrite(text.data(), 1, text.size(), file) == text.size();
    return file && std::fclose(file) == 0 && ok;
}

// One server context for the whole run (a key made once; the files live in a private temp dir).
const TlsContext &context()
{
    static std::unique_ptr<TlsContext> made = [] {
        char dir[] = "/tmp/ferry-fuzz-tls-XXXXXX";
        std::string error;
        KeyPtr key = makeKey(error);
        CertPtr cert = key ? makeSelfSigned(key.get(), "fuzz", 30, error) : nullptr;
        if (!mkdtemp(dir) || !cert)
            violated("cannot make the fuzzing identity");
        Identity identity;
        identity.keyFile = std::string(dir) + "/identity.key";
        identity.certFile = std::string(dir) + "/identity.crt";
        if (!writeFile(identity.keyFile, keyToPem(key.get())) || !writeFile(identity.certFile, certToPem(cert.get())))
            violated("cannot write the fuzzing identity");
        return std::make_unique<TlsContext>(identity);
    }();
    return *made;
}

void checkFirstBytes(const uint8_t *data, size_t size)
{
    Speaks speaks = classifyFirstBytes({data, size});
    if ((size == 0) != (speaks == Speaks::NeedMore))
        violated("classification without bytes, or no verdict with them");
    if (speaks != Speaks::Tls)
        return;
    FirstRecord previous = FirstRecord::NeedMore;
    for (size_t n = 1; n <= size; ++n) {
        FirstRecord now = checkFirstRecord({data, n});
        if (previous != FirstRecord::NeedMore && now != previous)
            violated("checkFirstRecord changed its mind");
        if (checkFirstRecord({data, std::min(n, FirstRecordHeadSize)}, n) != now)
            violated("the parent's head-and-count form disagrees with the whole bytes");
        if (now == FirstRecord::NeedMore && n >= RecordHeaderSize
            && n >= RecordHeaderSize + (size_t(data[3]) << 8 | data[4]))
            violated("NeedMore for a complete record");
        previous = now;
    }
}

void checkHandshake(uint8_t control, const uint8_t *data, size_t size)
{
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair) != 0)
        violated("socketpair()");
    std::string error;
    std::unique_ptr<TlsSession> session = TlsSession::accept(context(), pair[0], error);
    if (!session)
        violated("TlsSession::accept()");
    size_t piece = 1 + (control >> 1) % 64, fed = 0;
    TlsStatus status = TlsStatus::WantRead;
    for (int step = 0; step < 4096 && (status == TlsStatus::WantRead || status == TlsStatus::WantWrite); ++step) {
        if (fed < size) {
            ssize_t wrote = write(pair[1], data + fed, std::min(piece, size - fed));
            fed += wrote > 0 ? size_t(wrote) : 0;
        } else if ((control & 1) && fed == size) {
            shutdown(pair[1], SHUT_WR);
            ++fed; // once
        }
        char sink[4096];
        while (read(pair[1], sink, sizeof sink) > 0) { // the server's answers (ServerHello, alerts)
        }
        auto begin = std::chrono::steady_clock::now();
        status = session->handshake();
        if (std::chrono::steady_clock::now() - begin > std::chrono::seconds(2))
            violated("a handshake step took seconds: it must never wait");
        if (status == TlsStatus::WantRead && fed >= size + ((control & 1) ? 1 : 0))
            break; // used up: waits for more, which the worker's deadline bounds
    }
    if (status == TlsStatus::Ok)
        violated("a handshake completed on fuzz input");
    if ((control & 1) && status == TlsStatus::WantRead)
        violated("still waiting after the client half-closed");
    close(pair[0]);
    close(pair[1]);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    checkFirstBytes(data + 1, size - 1);
    checkHandshake(data[0], data + 1, size - 1);
    return 0;
}
