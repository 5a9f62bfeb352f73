#include "parent/startup_checks.h"

#include "access/token_store.h"
#include "base/config_error.h"
#include "base/syscall.h"
#include "base/unique_fd.h"
#include "parent/audit_setup.h"
#include "parent/privileges.h"
#include "parent/tls_setup.h"
#include "tls/identity_files.h"
#include "tls/state_dir.h"
#include "worker/jail.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace ferry::server {

namespace {

// Refused here rather than by the drop itself, which comes after the state directory is made.
void checkUser(const std::string &user)
{
    if (user.empty())
        return;
    errno = 0;
    const passwd *entry = getpwnam(user.c_str());
    if (!entry)
        throw ConfigError("unknown user '" + user + "'" + (errno ? std::string(": ") + std::strerror(errno) : ""));
    if (geteuid() != 0 && (getuid() != entry->pw_uid || geteuid() != entry->pw_uid))
        throw ConfigError("--user " + user + " needs ferry-server to be started as root");
}

// Whether the running server could append to its audit log: an existing file must be a regular one it
// may write, a new one needs a folder it may write in. The default's folder, the state directory, is
// not judged here: it may not be made yet, or be handed to --user only by prepareStateDir() (systemd's).
void checkAuditLogWritable(const Options &options)
{
    const std::string path = auditLogPath(options);
    if (path.empty())
        return;
    struct stat info {};
    if (stat(path.c_str(), &info) == 0) {
        if (!S_ISREG(info.st_mode))
            throw ConfigError("the audit log " + path + " is not a regular file (--audit-log)");
        if (faccessat(AT_FDCWD, path.c_str(), W_OK, AT_EACCESS) != 0)
            throw ConfigError("cannot open the audit log " + path + " for appending: " + std::strerror(errno));
        return;
    }
    if (errno != ENOENT)
        throw ConfigError("cannot open the audit log " + path + ": stat(): " + std::strerror(errno));
    if (options.auditLog.empty())
        return;
    const size_t slash = path.find_last_of('/');
    const std::string folder = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    const bool folderExists = stat(folder.c_str(), &info) == 0;
    if (!folderExists || !S_ISDIR(info.st_mode) || faccessat(AT_FDCWD, folder.c_str(), W_OK | X_OK, AT_EACCESS) != 0)
        throw ConfigError("cannot create the audit log " + path + ": its folder " + folder
                          + (folderExists && !S_ISDIR(info.st_mode) ? std::string(" is not a folder")
                                                                    : std::string(": ") + std::strerror(errno)));
}

bool usesKeptIdentity(const Options &options)
{
    return options.plaintext != PlaintextPolicy::Only && options.tlsCert.empty();
}

// The identity kept from an earlier start must be whole: PEM, a key only its owner may read, and a
// certificate for that key (tls/identity_files.h). Refused here, before anything is made, and never
// remade later: a new key would change the fingerprint clients have pinned. (A missing one is made
// then; so is a missing certificate for a kept key.) Judged with this process's rights; whether the
// --user can read it is checkKeptIdentityReadable()'s.
void checkKeptIdentity(const Options &options)
{
    if (usesKeptIdentity(options))
        (void)tls::readKeptIdentity(options.stateDir);
}

// As --user: the kept identity must be readable. A state directory this user cannot look into yet
// is not judged: prepareStateDir() hands systemd's to it (and makes a missing one for it).
void checkKeptIdentityReadable(const Options &options)
{
    if (usesKeptIdentity(options) && faccessat(AT_FDCWD, options.stateDir.c_str(), X_OK, AT_EACCESS) == 0)
        (void)tls::readKeptIdentity(options.stateDir);
}

// Everything the server reads or appends to once it runs as --user.
void checkWhatTheServerReads(const Options &options)
{
    (void)Jail::open(options.root, options.showHidden);
    if (!options.tlsCert.empty()) // the administrator's files: read, nothing made
        (void)loadTls(options);
    checkKeptIdentityReadable(options);
    std::string error;
    if (!TokenStore::load(options.stateDir + "/tokens.json", error))
        throw ConfigError(error);
    checkAuditLogWritable(options);
}

void writeAll(int fd, const std::string &text)
{
    size_t done = 0;
    while (done < text.size()) {
        const ssize_t wrote = retryOnEintr([&] { return ::write(fd, text.data() + done, text.size() - done); });
        if (wrote <= 0)
            return; // the parent then reports the child's exit status instead
        done += size_t(wrote);
    }
}

std::string readAll(int fd)
{
    std::string text;
    char buffer[1024];
    ssize_t got = 0;
    while ((got = retryOnEintr([&] { return ::read(fd, buffer, sizeof buffer); })) > 0)
        text.append(buffer, size_t(got));
    return text;
}

// Runs `check` with --user's rights, in a child that drops privileges as the server will after binding;
// its ConfigError comes back through a pipe as this process's own. The parent keeps root for the state
// directory it still has to make. Without --user, or when not root, the rights are this process's.
void runAsServerUser(const Options &options, const std::function<void()> &check)
{
    if (options.user.empty() || geteuid() != 0) {
        check();
        return;
    }
    int ends[2];
    if (pipe2(ends, O_CLOEXEC) != 0)
        throw ConfigError(std::string("pipe2() for the start-up checks: ") + std::strerror(errno));
    UniqueFd readEnd(ends[0]), writeEnd(ends[1]);
    std::fflush(nullptr); // nothing buffered is written twice
    const pid_t child = fork();
    if (child < 0)
        throw ConfigError(std::string("fork() for the start-up checks: ") + std::strerror(errno));
    if (child == 0) {
        readEnd.reset();
        std::string problem;
        try {
            dropPrivileges(options.user);
            check();
        } catch (const std::exception &refusal) {
            problem = std::string(refusal.what()) + " (as --user " + options.user + ")";
        }
        writeAll(writeEnd.get(), problem);
        _exit(problem.empty() ? 0 : 1);
    }
    writeEnd.reset();
    const std::string problem = readAll(readEnd.get());
    int status = 0;
    (void)retryOnEintr([&] { return waitpid(child, &status, 0); });
    if (!problem.empty())
        throw ConfigError(problem);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw ConfigError("the start-up checks as --user " + options.user + " did not finish (status "
                          + std::to_string(status) + ")");
}

} // namespace

void checkBeforeCreating(const Options &options)
{
    checkUser(options.user);
    refuseAuditLogInRoot(options);
    checkKeptIdentity(options);
    runAsServerUser(options, [&options] { checkWhatTheServerReads(options); });
}

void checkBeforeBinding(Options &options)
{
    if (options.stateDir.empty())
        options.stateDir = tls::defaultStateDir();
    checkBeforeCreating(options);
}

} // namespace ferry::server
