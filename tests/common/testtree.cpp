#include "testtree.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <cstring>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace ferrytest {

namespace {

constexpr size_t BlockHeaderSize = 12; // u64 block number, u32 seed (little-endian)

uint64_t splitmix64(uint64_t &state)
{
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// The seed's random MiB, without a block header.
std::vector<char> baseBlock(quint32 seed)
{
    std::vector<char> block(PatternBlockSize);
    uint64_t state = 0xF3E771ull * (uint64_t(seed) + 1);
    for (size_t i = 0; i < block.size(); i += 8) {
        const uint64_t value = splitmix64(state);
        std::memcpy(block.data() + i, &value, 8);
    }
    return block;
}

void stampBlock(std::vector<char> &block, quint32 seed, uint64_t index)
{
    for (int i = 0; i < 8; ++i) {
        block[size_t(i)] = char(index >> (8 * i));
    }
    for (int i = 0; i < 4; ++i) {
        block[size_t(8 + i)] = char(seed >> (8 * i));
    }
}

} // namespace

QByteArray patternBytes(quint32 seed, uint64_t offset, uint64_t length)
{
    QByteArray out;
    out.reserve(qsizetype(length));
    std::vector<char> block = baseBlock(seed);
    uint64_t position = offset;
    while (position < offset + length) {
        stampBlock(block, seed, position / PatternBlockSize);
        const uint64_t inBlock = position % PatternBlockSize;
        const uint64_t take = qMin(PatternBlockSize - inBlock, offset + length - position);
        out.append(block.data() + inBlock, qsizetype(take));
        position += take;
    }
    return out;
}

bool writePatternFile(const QString &path, uint64_t size, quint32 seed, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        if (error) {
            *error = QStringLiteral("open %1: %2").arg(path, file.errorString());
        }
        return false;
    }
    std::vector<char> block = baseBlock(seed);
    for (uint64_t index = 0; index * PatternBlockSize < size; ++index) {
        stampBlock(block, seed, index);
        const qint64 take = qint64(qMin(PatternBlockSize, size - index * PatternBlockSize));
        if (file.write(block.data(), take) != take) {
            if (error) {
                *error = QStringLiteral("write %1: %2").arg(path, file.errorString());
            }
            return false;
        }
    }
    return true;
}

PatternVerifier::PatternVerifier(quint32 seed, uint64_t offset)
    : m_seed(seed), m_position(offset), m_block(baseBlock(seed))
{
}

void PatternVerifier::selectBlock(uint64_t index)
{
    if (index != m_blockIndex) {
        stampBlock(m_block, m_seed, index);
        m_blockIndex = index;
    }
}

bool PatternVerifier::update(const char *data, size_t size)
{
    while (size > 0 && matches()) {
        selectBlock(m_position / PatternBlockSize);
        const uint64_t inBlock = m_position % PatternBlockSize;
        const size_t take = size_t(qMin<uint64_t>(PatternBlockSize - inBlock, size));
        if (std::memcmp(data, m_block.data() + inBlock, take) != 0) {
            size_t at = 0;
            while (data[at] == m_block[size_t(inBlock + at)]) {
                ++at;
            }
            m_mismatch = m_position + at;
            return false;
        }
        m_position += take;
        data += take;
        size -= take;
    }
    return matches();
}

int64_t fileMtimeNs(const QString &path)
{
    struct stat st{};
    if (::stat(QFile::encodeName(path).constData(), &st) != 0) {
        return -1;
    }
    return int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

QByteArray fileSha256(const QString &path)
{
    QFile file(path);
    QCryptographicHash hash(QCryptographicHash::Sha256);
    if (!file.open(QIODevice::ReadOnly) || !hash.addData(&file)) {
        return {};
    }
    return hash.result().toHex();
}

bool sameContent(const QString &a, const QString &b, QString *why)
{
    QFile fa(a);
    QFile fb(b);
    if (!fa.open(QIODevice::ReadOnly) || !fb.open(QIODevice::ReadOnly)) {
        if (why) {
            *why = QStringLiteral("cannot open %1 or %2").arg(a, b);
        }
        return false;
    }
    if (fa.size() != fb.size()) {
        if (why) {
            *why = QStringLiteral("sizes differ: %1 vs %2").arg(fa.size()).arg(fb.size());
        }
        return false;
    }
    qint64 offset = 0;
    while (!fa.atEnd()) {
        const QByteArray ca = fa.read(1 << 20);
        const QByteArray cb = fb.read(1 << 20);
        if (ca != cb) {
            qsizetype at = 0;
            while (at < ca.size() && at < cb.size() && ca[at] == cb[at]) {
                ++at;
            }
            if (why) {
                *why = QStringLiteral("first difference at byte %1").arg(offset + at);
            }
            return false;
        }
        offset += ca.size();
    }
    return true;
}

TestTree::TestTree(const QString &parentDir)
    : m_dir(parentDir.isEmpty() ? QDir::tempPath() + QStringLiteral("/ferry-test-XXXXXX")
                                : parentDir + QStringLiteral("/ferry-test-XXXXXX"))
{
    m_valid = m_dir.isValid() && QDir(m_dir.path()).mkdir(QStringLiteral("root"));
}

QString TestTree::path(const QString &relative) const
{
    return relative.isEmpty() ? root() : root() + u'/' + relative;
}

bool TestTree::makeParent(const QString &absolute) const
{
    return QDir().mkpath(QFileInfo(absolute).absolutePath());
}

QString TestTree::addFile(const QString &relative, uint64_t size, quint32 seed)
{
    const QString target = path(relative);
    return makeParent(target) && writePatternFile(target, size, seed) ? target : QString();
}

QString TestTree::addTextFile(const QString &relative, const QByteArray &content)
{
    const QString target = path(relative);
    QFile file(target);
    const bool ok = makeParent(target) && file.open(QIODevice::WriteOnly) && file.write(content) == content.size();
    return ok ? target : QString();
}

QString TestTree::addDir(const QString &relative)
{
    const QString target = path(relative);
    return QDir().mkpath(target) ? target : QString();
}

QString TestTree::addSymlink(const QString &relative, const QString &target)
{
    const QString link = path(relative);
    const bool ok = makeParent(link) && ::symlink(QFile::encodeName(target), QFile::encodeName(link)) == 0;
    return ok ? link : QString();
}

QString TestTree::addFifo(const QString &relative)
{
    const QString fifo = path(relative);
    return makeParent(fifo) && ::mkfifo(QFile::encodeName(fifo), 0644) == 0 ? fifo : QString();
}

QString TestTree::addCharDevice(const QString &relative, unsigned major, unsigned minor)
{
    const QString node = path(relative);
    const bool ok = makeParent(node)
        && ::mknod(QFile::encodeName(node), S_IFCHR | 0644, makedev(major, minor)) == 0;
    return ok ? node : QString();
}

QString TestTree::addOutsideFile(const QString &name, const QByteArray &content)
{
    const QString target = m_dir.filePath(name);
    QFile file(target);
    return file.open(QIODevice::WriteOnly) && file.write(content) == content.size() ? target : QString();
}

bool TestTree::addManyFiles(const QString &relative, int count, const QString &prefix)
{
    const QString dir = addDir(relative);
    if (dir.isEmpty()) {
        return false;
    }
    for (int i = 0; i < count; ++i) {
        const QString name = dir + u'/' + prefix + QStringLiteral("%1").arg(i, 6, 10, QLatin1Char('0'));
        const int fd = ::open(QFile::encodeName(name), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        if (fd < 0) {
            return false;
        }
        ::close(fd);
    }
    return true;
}

QString memoryBackedTempDir()
{
    const QString shm = QStringLiteral("/dev/shm");
    return ::access("/dev/shm", W_OK | X_OK) == 0 ? shm : QDir::tempPath();
}

uint64_t raiseFdLimit()
{
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    ::getrlimit(RLIMIT_NOFILE, &limit);
    return limit.rlim_cur;
}

} // namespace ferrytest
