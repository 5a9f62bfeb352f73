#include "serverprocess.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QThread>

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

namespace {

constexpr char ListeningPrefix[] = "ferry-server: listening on ";

#ifdef SERVER_BIN
constexpr char CompiledServerBin[] = SERVER_BIN;
#else
constexpr char CompiledServerBin[] = "";
#endif

// Runs in the forked child before exec: a process group of its own lets the
// destructor kill the server and every worker at once, and PDEATHSIG takes the
// server down if the test process crashes before any destructor runs.
void detachIntoOwnGroup()
{
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
}

void killOwnGroup(qint64 leader)
{
    if (leader <= 0) {
        return;
    }
    // pid_max may be small: once the server is reaped its number can belong to a
    // stranger. The group is ours while the leader is our child (alive or zombie),
    // or while no process has that pid at all (only our orphans keep the group).
    if (!ServerProcess::processExists(leader) || ServerProcess::parentPid(leader) == ::getpid()) {
        ::kill(static_cast<pid_t>(-leader), SIGKILL);
    }
}

} // namespace

ServerProcess::ServerProcess(QString root, QStringList args)
    : m_root(std::move(root)), m_args(std::move(args)), m_program(defaultProgram())
{
}

ServerProcess::~ServerProcess()
{
    // Even after a clean stop: anything still in the group is an orphan to remove.
    killGroup();
    if (m_process && m_process->state() != QProcess::NotRunning) {
        m_process->waitForFinished(10000);
    }
}

QString ServerProcess::defaultProgram()
{
    const QString fromEnv = qEnvironmentVariable("FERRY_SERVER_BIN");
    return fromEnv.isEmpty() ? QString::fromUtf8(CompiledServerBin) : fromEnv;
}

bool ServerProcess::start(int timeoutMs)
{
    if (m_program.isEmpty()) {
        m_error = QStringLiteral("no ferry-server binary (SERVER_BIN not defined, FERRY_SERVER_BIN not set)");
        return false;
    }
    m_logDir = std::make_unique<QTemporaryDir>();
    m_process = std::make_unique<QProcess>();
    QStringList arguments{QStringLiteral("--root"), m_root};
    arguments += m_args;
    if (!m_args.contains(QStringLiteral("--listen"))) {
        arguments += {QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0")};
    }
    // A private admin socket: servers of tests running side by side must not meet
    // at the default path (a live socket there makes a second server refuse to start).
    m_adminSocket = m_logDir->filePath(QStringLiteral("admin/admin.sock"));
    if (m_defaultAdminSocket) {
        m_adminSocket.clear();
    } else if (!m_args.contains(QStringLiteral("--admin-socket"))) {
        arguments += {QStringLiteral("--admin-socket"), m_adminSocket};
    } else {
        m_adminSocket = m_args.value(m_args.indexOf(QStringLiteral("--admin-socket")) + 1);
    }
    // Most suites speak plaintext Ferry (TestClient, and the engine with FERRY_PLAINTEXT): allow it
    // unless a test says otherwise; TLS suites pass --plaintext off. A private state directory gives
    // each server an identity of its own instead of one shared through $HOME.
    if (!m_args.contains(QStringLiteral("--plaintext"))) {
        arguments += {QStringLiteral("--plaintext"), QStringLiteral("allow")};
    }
    m_stateDir = m_logDir->filePath(QStringLiteral("state"));
    // Traversable (not listable) by others, so a server dropping to --user reaches its state directory.
    QFile::setPermissions(m_logDir->path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner
                                                | QFileDevice::ExeGroup | QFileDevice::ExeOther);
    if (!m_args.contains(QStringLiteral("--state-dir"))) {
        arguments += {QStringLiteral("--state-dir"), m_stateDir};
    } else {
        m_stateDir = m_args.value(m_args.indexOf(QStringLiteral("--state-dir")) + 1);
    }
    m_process->setProgram(m_program);
    m_process->setArguments(arguments);
    m_process->setStandardErrorFile(m_logDir->filePath(QStringLiteral("stderr.log")));
    m_process->setChildProcessModifier(detachIntoOwnGroup);
    m_process->start(QIODevice::ReadOnly);
    if (!m_process->waitForStarted(timeoutMs)) {
        m_error = QStringLiteral("cannot start %1: %2").arg(m_program, m_process->errorString());
        return false;
    }
    m_pid = m_process->processId();
    return readListeningLine(timeoutMs);
}

bool ServerProcess::readListeningLine(int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    while (!m_process->canReadLine()) {
        if (m_process->state() == QProcess::NotRunning) {
            m_error = QStringLiteral("server exited with code %1 before listening").arg(m_process->exitCode());
            return false;
        }
        if (deadline.hasExpired()) {
            m_error = QStringLiteral("no listening line within %1 ms").arg(timeoutMs);
            return false;
        }
        m_process->waitForReadyRead(int(qMax<qint64>(1, deadline.remainingTime())));
    }
    const QByteArray line = m_process->readLine().trimmed();
    const qsizetype colon = line.lastIndexOf(':');
    if (!line.startsWith(ListeningPrefix) || colon < 0) {
        m_error = QStringLiteral("unexpected first stdout line: %1").arg(QString::fromUtf8(line));
        return false;
    }
    m_host = QString::fromUtf8(line.mid(sizeof(ListeningPrefix) - 1, colon - qsizetype(sizeof(ListeningPrefix) - 1)));
    m_port = line.mid(colon + 1).toUShort();
    if (m_port == 0) {
        m_error = QStringLiteral("no port in listening line: %1").arg(QString::fromUtf8(line));
        return false;
    }
    // With TLS the server prints its identity next, in the same write (one flush after both lines).
    constexpr char IdentityPrefix[] = "ferry-server: identity ";
    if (m_process->canReadLine()) {
        const QByteArray next = m_process->readLine().trimmed();
        if (next.startsWith(IdentityPrefix)) {
            m_fingerprint = QString::fromUtf8(next.mid(sizeof(IdentityPrefix) - 1));
        }
    }
    return true;
}

bool ServerProcess::isRunning() const
{
    return m_process && m_process->state() != QProcess::NotRunning;
}

QByteArray ServerProcess::stderrText() const
{
    if (!m_logDir) {
        return {};
    }
    QFile file(m_logDir->filePath(QStringLiteral("stderr.log")));
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

QString ServerProcess::diagnostics() const
{
    QString text = m_error;
    if (m_process) {
        text += QStringLiteral("\ncommand: %1 %2").arg(m_program, m_process->arguments().join(u' '));
    }
    QByteArray err = stderrText();
    if (err.size() > 8000) {
        err = "...\n" + err.right(8000);
    }
    return text + QStringLiteral("\nserver stderr:\n") + QString::fromUtf8(err);
}

bool ServerProcess::signal(int signal) const
{
    return m_pid > 0 && isRunning() && ::kill(static_cast<pid_t>(m_pid), signal) == 0;
}

int ServerProcess::waitForExit(int timeoutMs)
{
    if (!m_process) {
        return -1;
    }
    if (m_process->state() != QProcess::NotRunning && !m_process->waitForFinished(timeoutMs)) {
        return -1;
    }
    if (m_process->exitStatus() == QProcess::CrashExit) {
        return 128 + m_process->exitCode();
    }
    return m_process->exitCode();
}

int ServerProcess::stop(int timeoutMs)
{
    if (!isRunning()) {
        return waitForExit(0);
    }
    m_lastWorkers = workerPids();
    signal(SIGTERM);
    const int code = waitForExit(timeoutMs);
    if (code == -1) {
        m_error = QStringLiteral("server did not exit within %1 ms of SIGTERM").arg(timeoutMs);
        kill();
    }
    return code;
}

void ServerProcess::kill()
{
    if (m_pid <= 0) {
        return;
    }
    if (isRunning()) {
        m_lastWorkers = workerPids();
    }
    killGroup();
    reap(10000);
    // The server's exit is not its group's. Its workers got the same SIGKILL but die only once the
    // scheduler runs them, holding everything open until then; one forked just before, which has not yet
    // closed what it inherited, holds the admin socket, which then still accepts connections as if the
    // server were alive. A test going on at once (a new server claiming the socket) would be told it is
    // in use.
    const QDeadlineTimer deadline(10000);
    while (!processGroupMembers(m_pid, false).isEmpty() && !deadline.hasExpired())
        QThread::msleep(5); // polling /proc: there is no event for another's orphans dying
}

void ServerProcess::killGroup() const
{
    killOwnGroup(m_pid);
}


void ServerProcess::reap(int timeoutMs)
{
    if (m_process && m_process->state() != QProcess::NotRunning) {
        m_process->waitForFinished(timeoutMs);
    }
}

QList<qint64> ServerProcess::workerPids() const
{
    return isRunning() ? childPids(m_pid) : QList<qint64>();
}

bool ServerProcess::waitForWorkerCount(int count, int timeoutMs) const
{
    const QDeadlineTimer deadline(timeoutMs);
    for (;;) {
        if (workerPids().size() == count) {
            return true;
        }
        if (deadline.hasExpired()) {
            return false;
        }
        QThread::msleep(20); // polling /proc: there is no event to wait on
    }
}

ServerProcess::RunResult ServerProcess::run(const QStringList &args, int timeoutMs)
{
    const QTemporaryDir state;
    return runProgram(defaultProgram(), args, timeoutMs,
                      {QStringLiteral("STATE_DIRECTORY=") + state.filePath(QStringLiteral("state"))});
}

ServerProcess::RunResult ServerProcess::runProgram(const QString &program, const QStringList &args, int timeoutMs,
                                                   const QStringList &environment)
{
    RunResult result;
    QProcess process;
    QProcessEnvironment variables = QProcessEnvironment::systemEnvironment();
    for (const QString &variable : environment)
        variables.insert(variable.section(u'=', 0, 0), variable.section(u'=', 1));
    process.setProcessEnvironment(variables);
    process.setChildProcessModifier(detachIntoOwnGroup);
    process.start(program, args, QIODevice::ReadOnly);
    if (!process.waitForStarted(timeoutMs)) {
        result.err = process.errorString().toUtf8();
        return result;
    }
    const qint64 pid = process.processId();
    if (process.waitForFinished(timeoutMs)) {
        result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : 128 + process.exitCode();
    } else {
        killOwnGroup(pid);
        process.waitForFinished(5000);
    }
    result.out = process.readAllStandardOutput();
    result.err = process.readAllStandardError();
    killOwnGroup(pid); // any worker left over from a half start
    return result;
}
