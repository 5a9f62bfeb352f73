// libFuzzer target: the client's files on disk, which a crash, a full disk or a hand edit may have damaged
// (shared/client). The first byte picks one (the low two bits), the rest is the file's bytes:
//   0  the known-servers file (knownservers.cpp): every entry it reads names a server and a fingerprint
//      in canonical form; adding a pin keeps every other entry and reads back; nothing throws;
//   1  a download's .part.ferry metadata (partfile.cpp, read on resume and when a saved queue is
//      restored): what it reads writes back and reads back the same; what a resume keeps of the part lies
//      within the file (resumableBytes(), verifiedPrefix()) and costs no more memory than the file has
//      chunks;
//   2  the run list of verified chunks inside it (chunkmap.cpp, "0-41,43") against a map of 0 to 1023
//      chunks (the next two bytes): refused with nothing changed, or read as runs that write back as
//      the same set;
//   3  the Downloader's saved queue (savedjob.cpp, read at start): what is kept of a damaged list is a
//      list of what the text holds; every entry read names a clean absolute path, sizes within the file,
//      an error kind that exists, digests of 32 bytes; a dropped entry says why in one line.
// Seeds: tests/fuzz/client-state-seeds, each led by the byte that picks.
#include "client/chunkmap.h"
#include "client/fingerprint.h"
#include "client/knownservers.h"
#include "client/partfile.h"
#include "client/savedjob.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>

#include <cstdio>
#include <cstdlib>

using namespace ferry::client;

namespace {

[[noreturn]] void violated(const char *what)
{
    std::fprintf(stderr, "fuzz_client_state: %s\n", what);
    std::abort();
}

// One folder for the whole run (libFuzzer runs inputs one after another in one process).
const QString &folder()
{
    static QTemporaryDir dir;
    if (!dir.isValid())
        violated("no temporary folder");
    static const QString path = dir.path();
    return path;
}

void writeFile(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(bytes) != bytes.size())
        violated("cannot write the input's file");
}

void checkKnownServers(const QByteArray &bytes)
{
    const QString path = folder() + QStringLiteral("/known-servers");
    writeFile(path, bytes);
    KnownServers known(path);
    const QList<KnownServers::Entry> before = known.entries();
    for (const KnownServers::Entry &entry : before) {
        if (entry.server.isEmpty() || entry.server.contains(u' ') || entry.server.startsWith(u'#'))
            violated("a known server read with no name, a blank in it, or as a comment");
        if (normalizedFingerprint(entry.fingerprint) != entry.fingerprint)
            violated("a known server's fingerprint is not in canonical form");
    }
    const QString pin = normalizedFingerprint(QString(52, u'A'));
    if (!known.add(QStringLiteral("fuzz.example:4646"), pin))
        violated("cannot add a pin to the file");
    const QList<KnownServers::Entry> after = known.entries();
    qsizetype kept = 0;
    for (const KnownServers::Entry &entry : before)
        kept += entry.server != QLatin1String("fuzz.example:4646");
    if (after.size() != kept + 1 || known.fingerprintFor(QStringLiteral("fuzz.example:4646")) != pin)
        violated("adding a pin lost an entry or the pin");
    for (qsizetype i = 0, j = 0; i < before.size(); ++i) {
        if (before[i].server == QLatin1String("fuzz.example:4646"))
            continue;
        if (after[j].server != before[i].server || after[j].fingerprint != before[i].fingerprint)
            violated("adding a pin changed another entry");
        ++j;
    }
}

void checkPartMeta(const QByteArray &bytes)
{
    const QString target = folder() + QStringLiteral("/file.bin");
    writeFile(PartFile::metaPathFor(target), bytes);
    const std::optional<PartMeta> meta = PartFile::readMeta(target);
    const qint64 kept = PartFile::resumableBytes(target); // no .part: only the records count
    if (!meta)
        return;
    if (meta->size < 0 || meta->chunkSize < 0)
        violated("metadata read with a negative size");
    if (kept < 0 || kept > meta->size)
        violated("a resume would keep bytes beyond the file");
    if (meta->chunkSize > 0) {
        const qint64 prefix = PartFile::verifiedPrefix(*meta);
        if (prefix < 0 || prefix > meta->size || prefix > kept)
            violated("the verified prefix lies outside the verified chunks");
    }
    QString error;
    if (!PartFile::writeMeta(target, *meta, &error))
        violated("metadata read cannot be written back");
    if (PartFile::readMeta(target) != meta)
        violated("metadata written back reads back otherwise");
}

void checkRuns(const QByteArray &bytes)
{
    if (bytes.size() < 2)
        return;
    const int count = (quint8(bytes[0]) << 8 | quint8(bytes[1])) & 1023;
    const QString runs = QString::fromUtf8(bytes.mid(2));
    ChunkMap map(count);
    if (!map.setVerifiedRuns(runs)) {
        if (map.verifiedCount() != 0)
            violated("a refused run list marked chunks");
        return;
    }
    ChunkMap again(count);
    if (!again.setVerifiedRuns(map.verifiedRuns()) || again.verifiedRuns() != map.verifiedRuns()
        || again.verifiedCount() != map.verifiedCount())
        violated("a run list written back reads back as other chunks");
}

void checkEntry(const SavedJob &job)
{
    if (!QDir::isAbsolutePath(job.localPath) || QDir::cleanPath(job.localPath) != job.localPath
        || job.localPath.contains(QChar(0)))
        violated("a saved entry kept with a path that is not absolute and clean");
    if (job.totalBytes < -1 || job.receivedBytes < 0 || (job.totalBytes >= 0 && job.receivedBytes > job.totalBytes)
        || job.speedLimit < 0)
        violated("a saved entry kept with a size outside the file");
    if (job.error < ErrorKind::NoError || job.error > ErrorKind::IdentityChanged)
        violated("a saved entry kept with an error kind that does not exist");
    const auto isDigest = [](const QByteArray &digest) { return digest.isEmpty() || digest.size() == 32; };
    if (!isDigest(job.sha256) || !isDigest(job.expectedSha256) || (job.verified && job.sha256.isEmpty()))
        violated("a saved entry kept with a digest that is not a SHA-256");
    if (job.partIsUsersFile && job.policy != ExistingFilePolicy::Resume)
        violated("a saved entry adopts a file without the Resume policy");
}

void checkSavedQueue(const QByteArray &bytes)
{
    QString damage;
    const QJsonArray queue = readSavedQueue(bytes, &damage);
    if (damage.contains(u'\n'))
        violated("the queue's damage takes more than one line");
    for (const QJsonValue &value : queue) {
        QString why;
        if (const std::optional<SavedJob> job = SavedJob::read(value.toObject(), &why))
            checkEntry(*job);
        else if (why.isEmpty() || why.contains(u'\n'))
            violated("a dropped entry without a one-line reason");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const QByteArray input(reinterpret_cast<const char *>(data) + 1, qsizetype(size - 1));
    switch (data[0] & 3) {
    case 0: checkKnownServers(input); break;
    case 1: checkPartMeta(input); break;
    case 2: checkRuns(input); break;
    case 3: checkSavedQueue(input); break;
    }
    return 0;
}
