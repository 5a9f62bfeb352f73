// Downloads into a folder whose disk fills up, against the real ferry-server. The disk is a tmpfs of 8 MiB
// mounted for the test (root only: filling the real disk would hurt the machine, not just the test).
#include "clienttesthelpers.h"
#include "serverprocess.h"
#include "testtree.h"

#include "client/partfile.h"

#include <QFile>
#include <QProcess>
#include <QTemporaryDir>

using namespace ferry::client;
using namespace clienttest;
using ferrytest::TestTree;

namespace {

// An 8 MiB tmpfs on a fresh temporary folder, unmounted when this goes; mounted() is false where that
// needs privileges the test does not have.
class SmallDisk
{
public:
    SmallDisk()
    {
        m_mounted = QProcess::execute(QStringLiteral("mount"),
                                      {QStringLiteral("-t"), QStringLiteral("tmpfs"), QStringLiteral("-o"),
                                       QStringLiteral("size=8m"), QStringLiteral("tmpfs"), m_dir.path()})
            == 0;
    }
    ~SmallDisk()
    {
        if (m_mounted)
            QProcess::execute(QStringLiteral("umount"), {m_dir.path()});
    }
    SmallDisk(const SmallDisk &) = delete;
    SmallDisk &operator=(const SmallDisk &) = delete;

    bool mounted() const { return m_mounted; }
    QString path() const { return m_dir.path(); }
    QString filePath(const QString &name) const { return m_dir.filePath(name); }

private:
    QTemporaryDir m_dir;
    bool m_mounted = false;
};

constexpr qint64 DownloadSize = 6 * 1024 * 1024;
// Written onto the disk first, it leaves about 3 MiB: the 6 MiB download cannot fit.
constexpr qint64 FillerSize = 5 * 1024 * 1024;

} // namespace

class TestClientDiskFull : public QObject
{
    Q_OBJECT
private slots:
    void diskFullFailsThenResumes();
    void diskTooFullForAVerifiedDownloadLeavesNoPart();
};

// The unverified path writes as it receives: it fails when the disk fills, keeps what it wrote, and
// resumes from there once there is room.
void TestClientDiskFull::diskFullFailsThenResumes()
{
    TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("six.bin"), uint64_t(DownloadSize), 9).isEmpty());
    SmallDisk disk;
    if (!disk.mounted())
        QSKIP("mounting a small tmpfs needs root (mount -t tmpfs failed); cannot fill a disk safely otherwise");
    const QString filler = disk.filePath(QStringLiteral("filler"));
    QVERIFY(ferrytest::writePatternFile(filler, uint64_t(FillerSize), 3));
    ServerProcess server(tree.root());
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));

    DownloadQueue queue;
    queue.setVerify(false);
    DownloadJob *job = queue.addFile(urlFor(server.host(), server.port(), QStringLiteral("six.bin")), disk.path());
    QVERIFY(waitForIdle(queue, 60000));
    QVERIFY2(job->state() == DownloadJob::State::Failed, qPrintable(describe(job)));
    QCOMPARE(job->error(), ErrorKind::LocalError);
    QVERIFY2(job->errorString().contains(QLatin1String("no space"), Qt::CaseInsensitive),
             qPrintable(job->errorString()));
    const qint64 kept = PartFile::partSize(job->localPath());
    QVERIFY2(kept > 0, "the .part must stay for a later resume");

    QVERIFY(QFile::remove(filler));
    queue.retry(job->id());
    QVERIFY(waitForIdle(queue, 60000));
    QVERIFY2(job->state() == DownloadJob::State::Done, qPrintable(describe(job)));
    QString why;
    QVERIFY2(ferrytest::sameContent(tree.path(QStringLiteral("six.bin")), job->localPath(), &why), qPrintable(why));
    QCOMPARE(job->resumedFrom(), kept);
}

// A verified download reserves its whole size first: when that fails the job says why, and the
// empty .part it had just made is gone rather than left behind looking like a download under way.
void TestClientDiskFull::diskTooFullForAVerifiedDownloadLeavesNoPart()
{
    TestTree tree;
    QVERIFY(!tree.addFile(QStringLiteral("six.bin"), uint64_t(DownloadSize), 9).isEmpty());
    SmallDisk disk;
    if (!disk.mounted())
        QSKIP("mounting a small tmpfs needs root (mount -t tmpfs failed); cannot fill a disk safely otherwise");
    QVERIFY(ferrytest::writePatternFile(disk.filePath(QStringLiteral("filler")), uint64_t(FillerSize), 3));
    ServerProcess server(tree.root());
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));

    DownloadQueue queue;
    DownloadJob *job = queue.addFile(urlFor(server.host(), server.port(), QStringLiteral("six.bin")), disk.path());
    QVERIFY(waitForIdle(queue, 60000));
    QVERIFY2(job->state() == DownloadJob::State::Failed, qPrintable(describe(job)));
    QCOMPARE(job->error(), ErrorKind::LocalError);
    QVERIFY2(job->errorString().contains(QLatin1String("fallocate()")), qPrintable(job->errorString()));
    QVERIFY2(!QFile::exists(PartFile::partPathFor(job->localPath())), "an empty .part was left behind");
}

QTEST_GUILESS_MAIN(TestClientDiskFull)
#include "tst_clientdiskfull.moc"
