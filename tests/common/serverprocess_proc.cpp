// ServerProcess's readings of /proc: children, process groups, descriptors, sockets.
#include "serverprocess.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QSet>
#include <QThread>

#include <dirent.h>
#include <unistd.h>

namespace {

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
        // atEnd() would stop after the first buffer of a long table. The table may
        // hold tens of thousands of TIME_WAIT lines: split only the lines that
        // mention the client's port ("...:PORT " in hex) instead of every line.
        const QByteArray text = file.readAll();
        const QByteArray needle = ':' + QByteArray::number(clientPort, 16).toUpper().rightJustified(4, '0') + ' ';
        for (qsizetype at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) {
            const qsizetype begin = text.lastIndexOf('\n', at) + 1;
            const qsizetype end = text.indexOf('\n', at);
            const QList<QByteArray> f = text.mid(begin, end < 0 ? -1 : end - begin).simplified().split(' ');
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

// Socket inodes of every TCP connection (any state but LISTEN) whose local port is `serverPort`.
QSet<QByteArray> connectionInodes(quint16 serverPort)
{
    QSet<QByteArray> inodes;
    for (const char *table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
        QFile file(QString::fromLatin1(table));
        if (!file.open(QIODevice::ReadOnly)) {
            continue;
        }
        const QList<QByteArray> lines = file.readAll().split('\n'); // readAll(): see socketInodes()
        for (const QByteArray &line : lines) {
            const QList<QByteArray> f = line.simplified().split(' ');
            if (f.size() < 10 || f[3] == "0A" || f[9] == "0") { // 0A: LISTEN; inode 0: no descriptor left
                continue;
            }
            if (f[1].mid(f[1].lastIndexOf(':') + 1).toUShort(nullptr, 16) == serverPort) {
                inodes.insert(f[9]);
            }
        }
    }
    return inodes;
}

// The targets ("socket:[123]", "/path", ...) of every descriptor of `pid`.
QList<QByteArray> descriptorTargets(qint64 pid)
{
    QList<QByteArray> targets;
    const QByteArray fdDir = "/proc/" + QByteArray::number(pid) + "/fd/";
    DIR *dir = ::opendir(fdDir.constData());
    if (!dir) {
        return targets;
    }
    while (const dirent *entry = ::readdir(dir)) {
        char target[256] = {};
        const QByteArray link = fdDir + entry->d_name;
        if (::readlink(link.constData(), target, sizeof(target) - 1) > 0) {
            targets.append(QByteArray(target));
        }
    }
    ::closedir(dir);
    return targets;
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

qint64 ServerProcess::pidServingClientPort(quint16 clientPort, int timeoutMs) const
{
    // /proc/net/tcp is read in chunks that are not a consistent snapshot: under heavy
    // connection churn one reading can miss a live entry, so look again until found.
    const QDeadlineTimer deadline(timeoutMs);
    do {
        const QList<QByteArray> inodes = socketInodes(m_port, clientPort);
        QList<qint64> candidates = workerPids();
        candidates.prepend(m_pid);
        for (qint64 pid : candidates) {
            if (!inodes.isEmpty() && holdsSocket(pid, inodes)) {
                return pid;
            }
        }
        QThread::msleep(20);
    } while (isRunning() && !deadline.hasExpired());
    return -1;
}

int ServerProcess::connectionSocketCount(qint64 pid) const
{
    const QSet<QByteArray> inodes = connectionInodes(m_port);
    int count = 0;
    for (const QByteArray &target : descriptorTargets(pid)) {
        if (target.startsWith("socket:[") && inodes.contains(target.mid(8, target.size() - 9))) {
            ++count;
        }
    }
    return count;
}

QStringList ServerProcess::unixSocketPaths(qint64 pid)
{
    QFile file(QStringLiteral("/proc/net/unix"));
    if (!file.open(QIODevice::ReadOnly)) {
        return {};
    }
    // "Num RefCount Protocol Flags Type St Inode Path": only bound sockets have the Path field.
    QHash<QByteArray, QString> pathByInode;
    for (const QByteArray &line : file.readAll().split('\n')) {
        const QList<QByteArray> f = line.simplified().split(' ');
        if (f.size() >= 8 && !f[7].isEmpty()) {
            pathByInode.insert(f[6], QString::fromLocal8Bit(f[7]));
        }
    }
    QStringList paths;
    for (const QByteArray &target : descriptorTargets(pid)) {
        if (target.startsWith("socket:[")) {
            if (const QString path = pathByInode.value(target.mid(8, target.size() - 9)); !path.isEmpty()) {
                paths << path;
            }
        }
    }
    return paths;
}

QList<qint64> ServerProcess::childPids(qint64 pid, bool includeZombies)
{
    return scanProcesses([pid, includeZombies](const ProcStat &s) {
        return s.ppid == pid && (includeZombies || s.state != 'Z');
    });
}

QList<qint64> ServerProcess::processGroupMembers(qint64 pgid, bool includeZombies)
{
    return scanProcesses(
        [pgid, includeZombies](const ProcStat &s) { return s.pgrp == pgid && (includeZombies || s.state != 'Z'); });
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

int ServerProcess::openFdCountOutside(qint64 pid, const QString &root)
{
    const QString canonicalRoot = QFileInfo(root).canonicalFilePath();
    int count = 0;
    const QDir fds(QStringLiteral("/proc/%1/fd").arg(pid));
    for (const QFileInfo &fd : fds.entryInfoList(QDir::Files | QDir::System | QDir::NoDotAndDotDot)) {
        if (!fd.symLinkTarget().startsWith(canonicalRoot + u'/'))
            ++count;
    }
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

qint64 ServerProcess::parentPid(qint64 pid)
{
    ProcStat stat;
    return readProcStat(pid, stat) ? stat.ppid : -1;
}
