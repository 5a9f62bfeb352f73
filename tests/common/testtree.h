// Test data for file servers: a temporary served root with deterministic file
// contents, and ways to check received bytes against them without keeping a
// copy in memory.
//
// Content scheme ("pattern"): a file with seed S is a sequence of 1 MiB blocks.
// Every block is the same pseudo-random MiB derived from S, except that its
// first 12 bytes hold the block number (8 bytes) and S (4 bytes). A file of any
// size is a prefix of that sequence, so a byte range can be recomputed from
// (seed, offset, length) alone, and a dropped, repeated or misordered block is
// detected because its number is wrong. Files are written densely (never sparse).
#pragma once

#include <QByteArray>
#include <QString>
#include <QTemporaryDir>

#include <cstdint>
#include <vector>

namespace ferrytest {

constexpr uint64_t PatternBlockSize = 1024 * 1024;

// The expected bytes [offset, offset+length) of a pattern file with `seed`.
QByteArray patternBytes(quint32 seed, uint64_t offset, uint64_t length);
// Writes a pattern file of `size` bytes. False (and *error) on failure.
bool writePatternFile(const QString &path, uint64_t size, quint32 seed, QString *error = nullptr);

// Checks a stream of bytes, fed in arbitrary pieces, against the pattern.
class PatternVerifier
{
public:
    explicit PatternVerifier(quint32 seed, uint64_t offset = 0);
    // False once any byte differed; later calls keep returning false.
    bool update(const char *data, size_t size);
    bool matches() const { return m_mismatch == NoMismatch; }
    // Absolute offset of the first wrong byte (or UINT64_MAX if none).
    uint64_t firstMismatch() const { return m_mismatch; }
    // Absolute offset of the next expected byte (offset + bytes seen).
    uint64_t position() const { return m_position; }

private:
    static constexpr uint64_t NoMismatch = UINT64_MAX;
    void selectBlock(uint64_t index);

    quint32 m_seed;
    uint64_t m_position;
    uint64_t m_blockIndex = UINT64_MAX;
    uint64_t m_mismatch = NoMismatch;
    std::vector<char> m_block;
};

// st_mtim of a file in nanoseconds since the epoch (what STAT, LIST and BODY report), or -1.
int64_t fileMtimeNs(const QString &path);
// SHA-256 of a file, streamed (hex). Empty if it cannot be read.
QByteArray fileSha256(const QString &path);
// Byte-for-byte comparison of two files, streamed. *why says where they differ.
bool sameContent(const QString &a, const QString &b, QString *why = nullptr);

// A temporary directory holding the served root ("<base>/root") and room
// beside it for things the server must never reach ("<base>/outside").
class TestTree
{
public:
    // The directory is created under `parentDir` (default: QDir::tempPath()).
    explicit TestTree(const QString &parentDir = QString());
    bool isValid() const { return m_dir.isValid() && m_valid; }
    QString base() const { return m_dir.path(); }
    QString root() const { return m_dir.filePath(QStringLiteral("root")); }
    // Absolute path of `relative` under the root.
    QString path(const QString &relative) const;

    // Each returns the absolute path, or an empty string on failure. Parent
    // directories are created as needed.
    QString addFile(const QString &relative, uint64_t size, quint32 seed);
    QString addTextFile(const QString &relative, const QByteArray &content);
    QString addDir(const QString &relative);
    QString addSymlink(const QString &relative, const QString &target);
    QString addFifo(const QString &relative);
    // mknod(2) a character device; empty if not permitted (callers QSKIP).
    QString addCharDevice(const QString &relative, unsigned major, unsigned minor);
    // A file beside the root (in base()), e.g. a secret that must stay unreadable.
    QString addOutsideFile(const QString &name, const QByteArray &content);
    // `count` empty files "<prefix><n, zero-padded to 6>" in directory `relative`
    // (fast: plain open/close). False on the first failure.
    bool addManyFiles(const QString &relative, int count, const QString &prefix);

private:
    bool makeParent(const QString &absolute) const;

    QTemporaryDir m_dir;
    bool m_valid = false;
};

// A parent directory for TestTree in memory (/dev/shm) when there is one, else
// QDir::tempPath(): creating 100,000 files there takes seconds, not tens of seconds.
QString memoryBackedTempDir();

// Raises this process's RLIMIT_NOFILE soft limit to its hard limit (child
// processes, such as a server started afterwards, inherit it). Returns the new limit.
uint64_t raiseFdLimit();

} // namespace ferrytest
