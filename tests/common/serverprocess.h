// A real ferry-server process for integration tests.
//
// ServerProcess starts the binary built by this tree (SERVER_BIN, or the
// FERRY_SERVER_BIN environment variable), waits for its "listening on" line,
// and guarantees that neither the server nor any of its workers outlives the
// test: the server runs in its own process group, gets SIGKILL with the whole
// group in the destructor, and is also killed by the kernel should the test
// process die first (PR_SET_PDEATHSIG).
//
// Typical use:
//     ServerProcess server(tree.root(), {"--workers", "4"});
//     QVERIFY2(server.start(), qPrintable(server.diagnostics()));
//     TestClient client; client.open(server.host(), server.port());
//     ...
//     QCOMPARE(server.stop(), 0);
//
// Not a QObject and not thread-safe: drive it from the test's main thread.
#pragma once

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

#include <memory>

class QProcess;
class QTemporaryDir;

class ServerProcess
{
public:
    // `root` is passed as --root (omit it from `args`); `args` are appended as given.
    // "--listen 127.0.0.1:0" is added unless `args` already has a --listen,
    // "--admin-socket <private temp dir>/admin/admin.sock" unless it has an --admin-socket,
    // "--plaintext allow" unless it has a --plaintext (most suites speak plaintext Ferry), and
    // "--state-dir <private temp dir>/state" unless it has a --state-dir.
    explicit ServerProcess(QString root, QStringList args = {});
    ~ServerProcess();
    ServerProcess(const ServerProcess &) = delete;
    ServerProcess &operator=(const ServerProcess &) = delete;

    // The binary that start() runs: FERRY_SERVER_BIN from the environment if set,
    // else the SERVER_BIN this library was compiled with (empty if none).
    static QString defaultProgram();
    void setProgram(const QString &program) { m_program = program; }
    // Adds no --admin-socket, so the server takes its default path (only for tests of that default:
    // servers of tests running side by side would meet there). adminSocketPath() is then empty.
    void useDefaultAdminSocket() { m_defaultAdminSocket = true; }

    // Starts the server and waits up to `timeoutMs` for the listening line.
    // False if the binary could not start, exited, or printed no such line;
    // then errorString() says why and diagnostics() holds its stderr.
    bool start(int timeoutMs = 15000);
    bool isRunning() const;

    QString host() const { return m_host; }
    quint16 port() const { return m_port; }
    qint64 pid() const { return m_pid; }
    // The identity the server printed ("" with --plaintext only), and its state directory.
    QString fingerprint() const { return m_fingerprint; }
    QString stateDir() const { return m_stateDir; }
    // The admin socket the server was given (see the constructor).
    QString adminSocketPath() const { return m_adminSocket; }
    QString errorString() const { return m_error; }
    // Everything the server wrote on stderr so far (it goes to a file, so a
    // chatty server never blocks on a full pipe).
    QByteArray stderrText() const;
    // errorString(), command line and stderr together, for QVERIFY2 messages.
    QString diagnostics() const;

    // SIGTERM, then waits up to `timeoutMs` for the exit. Returns the exit code,
    // 128+signal if it died from a signal, or -1 if it did not exit in time (it
    // is then killed). Worker pids seen while it ran stay available in
    // lastWorkerPids() so a test can check that none of them is left.
    int stop(int timeoutMs = 60000);
    // SIGKILL to the server's whole process group, then reaps the server and
    // waits (up to 10 s) until no process of the group is left alive: nothing
    // the server held (its admin socket, a client connection) is open after it.
    void kill();
    // Sends `signal` to the server only.
    bool signal(int signal) const;
    // Waits up to `timeoutMs` for the server to exit by itself; the exit code as in stop().
    int waitForExit(int timeoutMs);

    // Direct children of the server: its workers. Sorted, current.
    QList<qint64> workerPids() const;
    QList<qint64> lastWorkerPids() const { return m_lastWorkers; }
    // Polls /proc until exactly `count` workers exist (not counting zombies), or times out.
    bool waitForWorkerCount(int count, int timeoutMs = 15000) const;
    // The process holding the server side of the TCP connection whose client end
    // is bound to local port `clientPort` (e.g. the worker serving it), or -1 if
    // none is found within `timeoutMs`.
    qint64 pidServingClientPort(quint16 clientPort, int timeoutMs = 5000) const;
    // How many descriptors of `pid` are TCP connections (not the listener) on this server's port: 0
    // once the process has closed every connection, a steady point to count its descriptors from.
    int connectionSocketCount(qint64 pid) const;

    // --- /proc helpers, usable on any pid -----------------------------------
    static QList<qint64> childPids(qint64 pid, bool includeZombies = false);
    // Every process whose process group is `pgid` (the server and anything it
    // forked, even orphans re-parented to init); zombies (which hold no
    // descriptors any more) only if `includeZombies`.
    static QList<qint64> processGroupMembers(qint64 pgid, bool includeZombies = true);
    // Number of entries in /proc/PID/fd, or -1 if the process is gone.
    static int openFdCount(qint64 pid);
    // The same, without descriptors of files under `root`: a worker's open-file cache holds served files
    // for a while and closes them after 10 s unused, so they come and go with the clock, not with connections.
    static int openFdCountOutside(qint64 pid, const QString &root);
    // Descriptors above 2 of `pid` without FD_CLOEXEC (from /proc/PID/fdinfo), as
    // "fd -> target" strings: each would leak into anything the process executes.
    static QStringList fdsWithoutCloseOnExec(qint64 pid);
    // Paths of the named Unix sockets `pid` holds (from /proc/net/unix), e.g. its admin socket.
    static QStringList unixSocketPaths(qint64 pid);
    // The state letter from /proc/PID/stat ('R', 'S', 'Z', ...), or 0 if gone.
    static char processState(qint64 pid);
    static bool processExists(qint64 pid) { return processState(pid) != 0; }
    // The parent's pid, or -1 if the process is gone.
    static qint64 parentPid(qint64 pid);

    // Runs the server to completion (for start-up refusals): exit code (or -1 on
    // timeout), stdout and stderr. The root is NOT added: pass --root in `args`.
    struct RunResult {
        int exitCode = -1;
        QByteArray out;
        QByteArray err;
    };
    // Its default state directory is a temporary one ($STATE_DIRECTORY), so a start that gets as far
    // as making an identity never writes to /var/lib/ferry or $HOME.
    static RunResult run(const QStringList &args, int timeoutMs = 15000);
    // The same for any program (e.g. CTL_BIN, GET_BIN), in its own process group; `environment`
    // ("NAME=value") is added to this process's.
    static RunResult runProgram(const QString &program, const QStringList &args, int timeoutMs = 15000,
                                const QStringList &environment = {});

private:
    bool readListeningLine(int timeoutMs);
    void reap(int timeoutMs);
    void killGroup() const;

    QString m_root;
    QStringList m_args;
    QString m_program;
    std::unique_ptr<QProcess> m_process;
    std::unique_ptr<QTemporaryDir> m_logDir;
    QString m_adminSocket;
    bool m_defaultAdminSocket = false;
    QString m_stateDir;
    QString m_fingerprint;
    QString m_host;
    quint16 m_port = 0;
    qint64 m_pid = 0;
    QString m_error;
    QList<qint64> m_lastWorkers;
};
