// ferry-get's exit codes: a contract with scripts, printed by --help.
#pragma once

#include "client/clienttypes.h"

namespace ferry::get {

enum ExitCode : int {
    ExitSuccess = 0,    // every file arrived complete (or was skipped by --on-exists skip)
    ExitOther = 1,      // the server broke the protocol, an untrusted identity, not Ferry, or unexpected
    ExitUsage = 2,      // bad command line
    ExitConnection = 3, // server unreachable, connection lost for good, or busy for too long
    ExitRemote = 4,     // the server refused: not found, forbidden, not a file, another version...
    ExitLocal = 5,      // the destination: not writable, no space, folder missing
    ExitAccess = 6,     // the server wants an access token, or refused the one given
};

inline int exitCodeFor(client::ErrorKind kind)
{
    switch (kind) {
    case client::ErrorKind::NoError: return ExitSuccess;
    case client::ErrorKind::ConnectionError:
    case client::ErrorKind::ServerBusy: return ExitConnection;
    case client::ErrorKind::RemoteError: return ExitRemote;
    case client::ErrorKind::LocalError: return ExitLocal;
    case client::ErrorKind::ProtocolError:
    case client::ErrorKind::IdentityChanged: return ExitOther;
    case client::ErrorKind::AccessDenied: return ExitAccess;
    }
    return ExitOther;
}

inline const char *exitCodeHelp()
{
    return "Exit codes:\n"
           "  0  every file arrived complete (or was skipped with --on-exists skip)\n"
           "  1  protocol error, an identity not trusted (new without --trust-new, or changed), a port\n"
           "     that does not speak Ferry, or another unexpected failure\n"
           "  2  usage error (bad arguments)\n"
           "  3  connection error: server unreachable, connection lost, or busy for too long\n"
           "  4  remote error: the server refused (not found, forbidden, not a file...), or the\n"
           "     other servers of a list have a different version of a partial download\n"
           "  5  local error: the destination is not writable, the disk is full...\n"
           "  6  access denied: the server needs an access link or token (--token), or refused the one given\n"
           "  130, 143  interrupted by SIGINT or SIGTERM (the .part files stay for a resume)\n"
           "When several downloads fail, the code of the first failure is returned.\n";
}

} // namespace ferry::get
