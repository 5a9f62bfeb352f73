// One TLS 1.3 handshake of the server's own context against an in-memory client, in the parent before
// the workers are forked.
//
// Why: OpenSSL 3 builds its algorithm caches (provider method store, name map, the key's and the
// groups' methods) on first use, in each process that makes a handshake. Made once in the parent, those
// pages are inherited and shared by every worker instead of each worker building its own copy for its
// first client: a worker's first TLS connection cost it 368 KiB of private memory without this, 304 KiB
// with it (docs/PERFORMANCE.md, "TLS"). The handshake also shows that the certificate and key work
// together. The random state it uses is no secret the workers share: OpenSSL 3 reseeds its generators
// in a forked child (it checks the process id on every call).
#pragma once

#include <string>

typedef struct ssl_ctx_st SSL_CTX;

namespace ferry::server::tls {

// Empty on success; otherwise which step failed and OpenSSL's reason. Touches no socket and no file.
// The client trusts nothing it is told (it talks only to `server`, in memory) and keeps nothing.
[[nodiscard]] std::string warmUp(SSL_CTX *server);

} // namespace ferry::server::tls
