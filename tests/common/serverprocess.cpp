#include "serverprocess.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QThread>

#include <dirent.h>
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

struct ProcStat {
    char state = 0;
    qint64 ppid = 0;
    qint64 pgrp = 0;
};

// /proc/PID/stat: "pid (comm) state ppid pgrp ..."; comm may hold spaces and ')'.
bool readProcStat(qint64 pid, ProcStat &out)
{
    QFile file(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!file.open(QIODevice::ReadOnly)) {
        return false;
    }
    const QByteArray text = file.readAll();
    const qsizetype close = text.lastIndexOf(')');
    if (close < 0) {
        return false;
    }
    const QList<QByteArray> fields = text.mid(close + 2).split(' ');
    if (fields.size() < 3 || fields[0].isEmpty()) {
        return false;
    }
    out.state = fields[0].at(0);
    out.ppid = fields[1].toLongLong();
    out.pgrp = fields[2].toLongLong();
    return true;
}

void killOwnGroup(qint64 leader)
{
    if (leader <= 0) {
        return;
    }
    // pid_max may be small: once the server is reaped its number can belong to a
    // stranger. The group is ours while the leader is our child (alive or zombie),
    // or while no process has that pid at all (only our orphans keep the group).
    ProcStat stat;
    const bool leaderExists = readProcStat(leader, stat);
    if (!leaderExists || stat.ppid == ::getpid()) {
        ::kill(static_cast<pid_t>(-leader), SIGKILL);
    }
}

template<typename Predicate>
QList<qint64> scanProcesses(Predicate keep)
{
    QList<qint64> result;
    DIR *dir = ::opendir("/proc");
    if (!dir) {
        return result;
    }
    while (const dirent *entry = ::readdir(dir)) {
        bool isNumber = false;
        const qint64 pid = QByteArray(entry->d_name).toLongLong(&isNumber);
        ProcStat stat;
        if (isNumber && readProcStat(pid, stat) && keep(stat)) {
            result.append(pid);
        }
    }
    ::closedir(dir);
    std::sort(result.begin(), result.end());
    return result;
}

// Socket inodes of TCP connections from a local port `serverPort` to remote
// port `clientPort`, from /proc/net/tcp{,6} ("sl local rem st ... uid timeout inode").
QList<QByteArray> socketInodes(quint16 serverPort, quint16 clientPort)
{
    QList<QByteArray> inodes;
    for (const char *table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
        QFile file(QString::fromLatin1(table));
        if (!file.open(QIODevice::ReadOnly)) {
            continue;
        }
        // readAll(), not readLine() until atEnd(): /proc files report size 0, and
        // atEnd() would stop after the first buffer of a long table.
        const QList<QByteArray> lines = file.readAll().split('\n');
        for (qsizetype i = 1; i < lines.size(); ++i) { // line 0 is the header
            const QList<QByteArray> f = lines[i].simplified().split(' ');
            if (f.size() < 10) {
                continue;
            }
            const quint16 local = f[1].mid(f[1].lastIndexOf(':') + 1).toUShort(nullptr, 16);
            const quint16 remote = f[2].mid(f[2].lastIndexOf(':') + 1).toUShort(nullptr, 16);
            if (local == serverPort && remote == clientPort) {
                inodes.append(f[9]);
            }
        }
    }
    return inodes;
}

bool holdsSocket(qint64 pid, const QList<QByteArray> &inodes)
{
    const QByteArray fdDir = "/proc/" + QByteArray::number(pid) + "/fd/";
    DIR *dir = ::opendir(fdDir.constData());
    if (!dir) {
        return false;
    }
    bool found = false;
    while (const dirent *entry = ::readdir(dir)) {
        char target[64] = {};
        const QByteArray link = fdDir + entry->d_name;
        if (::readlink(link.constData(), target, sizeof(target) - 1) <= 0) {
            continue;
        }
        for (const QByteArray &inode : inodes) {
            found = found || QByteArray(target) == "socket:[" + inode + "]";
        }
    }
    ::closedir(dir);
    return found;
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
    if (!m_args.contains(QStringLiteral("--admin-socket"))) {
        arguments += {QStringLiteral("--admin-socket"), m_adminSocket};
    } else {
        m_adminSocket = m_args.value(m_args.indexOf(QStringLiteral("--admin-socket")) + 1);
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

qint64 ServerProcess::pidServingClientPort(quint16 clientPort) const
{
    const QList<QByteArray> inodes = socketInodes(m_port, clientPort);
    if (inodes.isEmpty() || !isRunning()) {
        return -1;
    }
    QList<qint64> candidates = workerPids();
    candidates.prepend(m_pid);
    for (qint64 pid : candidates) {
        if (holdsSocket(pid, inodes)) {
            return pid;
        }
    }
    return -1;
}

QList<qint64> ServerProcess::childPids(qint64 pid, bool includeZombies)
{
    return scanProcesses([pid, includeZombies](const ProcStat &s) {
        return s.ppid == pid && (includeZombies || s.state != 'Z');
    });
}

QList<qint64> ServerProcess::processGroupMembers(qint64 pgid)
{
    return scanProcesses([pgid](const ProcStat &s) { return s.pgrp == pgid; });
}

int ServerProcess::openFdCount(qint64 pid)
{
    const QByteArray path = "/proc/" + QByteArray::number(pid) + "/fd";
    DIR *dir = ::opendir(path.constData());
    if (!dir) {
        return -1;
    }
    int count = 0;
    while (const dirent *entry = ::readdir(dir)) {
        if (entry->d_name[0] != '.') {
            ++count;
        }
    }
    ::closedir(dir);
    return count;
}

QStringList ServerProcess::fdsWithoutCloseOnExec(qint64 pid)
{
    QStringList leaks;
    const QString base = QStringLiteral("/proc/%1/").arg(pid);
    const QStringList fds =
        QDir(base + QStringLiteral("fd")).entryList(QDir::AllEntries | QDir::System | QDir::NoDotAndDotDot);
    for (const QString &fd : fds) {
        if (fd.toInt() <= 2) {
            continue;
        }
        QFile info(base + QStringLiteral("fdinfo/") + fd);
        if (!info.open(QIODevice::ReadOnly)) {
            continue; // closed meanwhile
        }
        for (const QByteArray &line : info.readAll().split('\n')) {
            // "flags:\t02004002" (octal); O_CLOEXEC is 02000000 on Linux.
            if (line.startsWith("flags:") && (line.mid(6).trimmed().toUInt(nullptr, 8) & 02000000) == 0) {
                leaks << fd + QStringLiteral(" -> ") + QFile::symLinkTarget(base + QStringLiteral("fd/") + fd);
            }
        }
    }
    return leaks;
}

char ServerProcess::processState(qint64 pid)
{
    ProcStat stat;
    return readProcStat(pid, stat) ? stat.state : char(0);
}

ServerProcess::RunResult ServerProcess::run(const QStringList &args, int timeoutMs)
{
    return runProgram(defaultProgram(), args, timeoutMs);
}

ServerProcess::RunResult ServerProcess::runProgram(const QString &program, const QStringList &args, int timeoutMs)
{
    RunResult result;
    QProcess process;
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
