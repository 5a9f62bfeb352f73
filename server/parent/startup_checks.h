// Start-up's checks of every input that can refuse the start, made before anything is created, so that
// a refused start leaves the state directory exactly as it was (and makes no audit log either).
#pragma once

#include "config/options.h"

namespace ferry::server {

// Reads only; throws ConfigError with one sentence for: a --user that does not exist, or that a server
// not started as root cannot become; a served root that does not open, or that --user cannot read; the
// administrator's TLS certificate or key that does not load; an audit log inside the served root, or
// one that cannot be opened for appending where it is to be; a token store that does not read; an
// identity kept in the state directory that is damaged (tls/identity_files.h). What the running server
// reads after the privilege drop is tried with --user's rights, in a child process that drops them as
// the server will. `options.stateDir` must be filled in. Call before binding and before anything is
// made: a refused start neither takes the port for a moment nor changes the state directory.
void checkBeforeCreating(const Options &options);

// main()'s first step after reading the options: fills in the default --state-dir, then
// checkBeforeCreating(). It comes before the admin socket and --metrics-listen are bound, as well as
// the Ferry port (Parent), so a refused start binds nothing at all.
void checkBeforeBinding(Options &options);

} // namespace ferry::server
