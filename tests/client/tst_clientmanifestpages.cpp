// A manifest that comes in more than one MANIFEST_PAGE (PROTOCOL.md §10), against the real ferry-server:
// the server of a test build sends one digest a page (FERRY_TEST_MANIFEST_PAGE_DIGESTS=1), so a 12 MiB
// file's three chunks come as three pages. The engine joins them into one verified download, and a
// digest damaged in the second page is refused before anything is put in place.
#include "scopedenv.h"
#include "clienttesthelpers.h"
#include "loopbackrelay.h"
#include "serverprocess.h"
#include "testtree.h"

#include "client/partfile.h"

#include <QFile>
#include <QTcpSocket>
#include <QtEndian>
#include <QTemporaryDir>

#include <memory>

using namespace ferry::client;
using namespace clienttest;
using ferrytest::LoopbackRelay;
using ferrytest::TestTree;

namespace {

constexpr qint64 MiB = 1024 * 1024;
constexpr int FrameHeader = 8;          // marker, type, flags, u32 payload length (PROTOCOL.md §2)
constexpr char ManifestPageType = 0x49; // MANIFEST_PAGE
constexpr char BodyType = 0x44;         // BODY, after which the file's bytes come raw
// A MANIFEST_PAGE's payload before its first digest: fileSize, mtimeNs, chunkSize, chunkCount, root,
// first, last, count (PROTOCOL.md §10.5).
constexpr int PageFieldsBeforeDigests = 8 + 8 + 4 + 4 + 32 + 4 + 1 + 4;

using ferrytest::ScopedEnv;
// What the relay saw of all its connections, and whether it damages the second page's first digest.
struct PageWatch {
    bool damageSecondPage = false;
    int pages = 0;   // MANIFEST_PAGE frames passed to clients, on every connection
    int damaged = 0; // second pages damaged
};

// Walks one connection's server → client frames up to the first BODY (the file's bytes that follow
// are no frames), counting MANIFEST_PAGE frames and, if asked, flipping a byte of the
// second one's first digest before the client sees it.
LoopbackRelay::Hooks watchingHooks(const std::shared_ptr<PageWatch> &watch)
{
    auto seen = std::make_shared<QByteArray>(); // the stream so far, while frames are walked
    auto nextFrame = std::make_shared<qint64>(0);
    auto pagesHere = std::make_shared<int>(0);
    auto walking = std::make_shared<bool>(true);
    auto toClient = [=](QByteArray &bytes) {
        if (!*walking)
            return;
        const qint64 chunkStart = seen->size();
        seen->append(bytes);
        while (*walking && *nextFrame + FrameHeader <= seen->size()) {
            const auto *header = reinterpret_cast<const uchar *>(seen->constData() + *nextFrame);
            if (header[0] != 0xf7 || char(header[1]) == BodyType) {
                *walking = false;
                seen->clear();
                break;
            }
            if (char(header[1]) == ManifestPageType) {
                ++watch->pages;
                const qint64 digestByte = *nextFrame + FrameHeader + PageFieldsBeforeDigests;
                if (++*pagesHere == 2 && watch->damageSecondPage && digestByte >= chunkStart
                    && digestByte < seen->size()) {
                    bytes[digestByte - chunkStart] = char(~bytes[digestByte - chunkStart]);
                    ++watch->damaged;
                }
            }
            *nextFrame += FrameHeader + qFromBigEndian<quint32>(header + 4);
        }
    };
    auto fromClient = [](QTcpSocket &client, QTcpSocket &upstream) {
        upstream.write(client.readAll());
        return true;
    };
    return {fromClient, toClient};
}

} // namespace

class TestClientManifestPages : public QObject
{
    Q_OBJECT
private slots:
    void threePagesMakeOneVerifiedDownload();
    void damagedSecondPageIsRefused();
};

void TestClientManifestPages::threePagesMakeOneVerifiedDownload()
{
    TestTree tree;
    const QString remote = tree.addFile(QStringLiteral("pages.bin"), uint64_t(12 * MiB), 11);
    QVERIFY(!remote.isEmpty());
    ScopedEnv onePerPage("FERRY_TEST_MANIFEST_PAGE_DIGESTS", "1");
    ServerProcess server(tree.root(), {QStringLiteral("--streams-per-client"), QStringLiteral("1")});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    auto watch = std::make_shared<PageWatch>();
    LoopbackRelay relay(server.host(), server.port(), [watch] { return watchingHooks(watch); });
    QVERIFY(relay.listen());

    QTemporaryDir dest;
    DownloadQueue queue;
    queue.setRetryPolicy(fastRetries());
    DownloadJob *job = queue.addFile(urlFor(relay.host(), relay.port(), QStringLiteral("pages.bin")), dest.path());
    QVERIFY2(waitForIdle(queue, 90000), qPrintable(describe(job)));
    QCOMPARE(job->state(), DownloadJob::State::Done);
    QCOMPARE(watch->pages, 3); // the hook took: three chunks, one page each
    QVERIFY(job->isVerified());
    QCOMPARE(job->sha256().toHex(), ferrytest::fileSha256(remote));
    QString why;
    QVERIFY2(ferrytest::sameContent(remote, job->localPath(), &why), qPrintable(why));
}

void TestClientManifestPages::damagedSecondPageIsRefused()
{
    TestTree tree;
    const QString remote = tree.addFile(QStringLiteral("pages.bin"), uint64_t(12 * MiB), 12);
    QVERIFY(!remote.isEmpty());
    ScopedEnv onePerPage("FERRY_TEST_MANIFEST_PAGE_DIGESTS", "1");
    ServerProcess server(tree.root(), {QStringLiteral("--streams-per-client"), QStringLiteral("1")});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    auto watch = std::make_shared<PageWatch>();
    watch->damageSecondPage = true; // on every connection, so a second try meets the same damage
    LoopbackRelay relay(server.host(), server.port(), [watch] { return watchingHooks(watch); });
    QVERIFY(relay.listen());

    QTemporaryDir dest;
    DownloadQueue queue;
    queue.setRetryPolicy(fastRetries());
    DownloadJob *job = queue.addFile(urlFor(relay.host(), relay.port(), QStringLiteral("pages.bin")), dest.path());
    QVERIFY2(waitForIdle(queue, 90000), qPrintable(describe(job)));
    QCOMPARE(job->state(), DownloadJob::State::Failed);
    QVERIFY(watch->damaged >= 1);
    QVERIFY2(job->errorString().contains(QLatin1String("root does not match its chunk digests")),
             qPrintable(job->errorString()));
    QVERIFY(!QFile::exists(job->localPath())); // nothing renamed into place
}

QTEST_GUILESS_MAIN(TestClientManifestPages)
#include "tst_clientmanifestpages.moc"
