// Start-up and reload of the server's identity and TLS context (server/tls), around the privilege drop:
// the state directory is made while still root and handed to --user, the key is made after the drop so
// the --user owns it.
#pragma once

#include "config/options.h"
#include "tls/tls_context.h"

#include <memory>

namespace ferry::server {

// Whether `path` is `root` or below it, both resolved (symlinks, `..`; a path not made yet through its
// nearest existing ancestor). False if either does not resolve at all. The state directory, a key and the
// audit log must never be something the server would serve.
bool isInside(const std::string &path, const std::string &root);

// Fills in the default state directory and, when started as root with --user, creates it for that user.
// Call before dropping privileges. Throws ConfigError.
void prepareTlsState(Options &options);

// The TLS context for the workers: the administrator's --tls-cert/--tls-key, or the generated identity
// (made on first start). Null with --plaintext only. Throws ConfigError.
std::shared_ptr<const tls::TlsContext> loadTls(const Options &options);

} // namespace ferry::server
