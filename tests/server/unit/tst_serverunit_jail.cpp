// The served root as a jail: path checks and openat2 confinement, directly on a temporary tree.
#include "worker/jail.h"
#include "config/options.h"
#include "worker/recent_files.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

using namespace ferry::server;
using ferry::proto::ErrorCode;

class TestJail : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_outer;
    QString m_root;
    std::unique_ptr<Jail> m_jail;
    std::unique_ptr<Jail> m_showing;

    void write(const QString &path, const QByteArray &data)
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(data);
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_outer.isValid());
        m_root = m_outer.filePath("root");
        QVERIFY(QDir().mkpath(m_root + "/sub/deeper"));
        write(m_root + "/file.txt", "hello");
        write(m_root + "/sub/deeper/x.bin", "x");
        write(m_root + "/.hidden", "h");
        write(m_outer.filePath("secret.txt"), "SECRET");
        QVERIFY(symlink("../secret.txt", QFile::encodeName(m_root + "/out").constData()) == 0);
        QVERIFY(symlink(QFile::encodeName(m_outer.filePath("secret.txt")).constData(),
                        QFile::encodeName(m_root + "/absolute-out").constData()) == 0);
        QVERIFY(symlink("/proc/self/root/etc/passwd", QFile::encodeName(m_root + "/proc-link").constData()) == 0);
        QVERIFY(symlink("sub/deeper/x.bin", QFile::encodeName(m_root + "/inside-link").constData()) == 0);
        QVERIFY(mkfifo(QFile::encodeName(m_root + "/fifo").constData(), 0644) == 0);
        m_jail = std::make_unique<Jail>(Jail::open(m_root.toStdString(), false));
        m_showing = std::make_unique<Jail>(Jail::open(m_root.toStdString(), true));
    }

    void openMissingRootThrows()
    {
        QVERIFY_THROWS_EXCEPTION(ConfigError, Jail::open(m_outer.filePath("nope").toStdString(), false));
        QVERIFY_THROWS_EXCEPTION(ConfigError, Jail::open((m_root + "/file.txt").toStdString(), false));
    }

    void openFile_data()
    {
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<int>("code");
        QTest::newRow("plain file") << QByteArray("file.txt") << int(ErrorCode::Ok);
        QTest::newRow("nested") << QByteArray("sub/deeper/x.bin") << int(ErrorCode::Ok);
        QTest::newRow("link inside") << QByteArray("inside-link") << int(ErrorCode::Ok);
        QTest::newRow("missing") << QByteArray("nope.txt") << int(ErrorCode::NotFound);
        QTest::newRow("through a file") << QByteArray("file.txt/x") << int(ErrorCode::NotFound);
        QTest::newRow("dot dot") << QByteArray("..") << int(ErrorCode::Forbidden);
        QTest::newRow("dot dot twice") << QByteArray("../..") << int(ErrorCode::Forbidden);
        QTest::newRow("absolute") << QByteArray("/etc/passwd") << int(ErrorCode::Forbidden);
        QTest::newRow("sneaky dot dot") << QByteArray("sub/../../secret.txt") << int(ErrorCode::Forbidden);
        QTest::newRow("a/../../x") << QByteArray("a/../../x") << int(ErrorCode::Forbidden);
        QTest::newRow("dot") << QByteArray("./file.txt") << int(ErrorCode::Forbidden);
        QTest::newRow("symlink out") << QByteArray("out") << int(ErrorCode::Forbidden);
        QTest::newRow("absolute symlink out") << QByteArray("absolute-out") << int(ErrorCode::Forbidden);
        QTest::newRow("proc magic link") << QByteArray("proc-link") << int(ErrorCode::Forbidden);
        QTest::newRow("hidden") << QByteArray(".hidden") << int(ErrorCode::Forbidden);
        QTest::newRow("NUL") << QByteArray("file.txt\0.jpg", 13) << int(ErrorCode::Forbidden);
        QTest::newRow("long name") << QByteArray(300, 'n') << int(ErrorCode::NotFound); // no such file can exist
        QTest::newRow("long name and dot dot") << QByteArray(300, 'n') + "/../x" << int(ErrorCode::Forbidden);
        QTest::newRow("long path") << QByteArray(5000, 'n') << int(ErrorCode::Forbidden);
        QTest::newRow("fifo") << QByteArray("fifo") << int(ErrorCode::NotAFile);
        QTest::newRow("directory") << QByteArray("sub") << int(ErrorCode::NotAFile);
        QTest::newRow("root") << QByteArray("") << int(ErrorCode::NotAFile);
    }
    void openFile()
    {
        QFETCH(QByteArray, path);
        QFETCH(int, code);
        // Skipping the O_PATH probe for a path believed regular must change nothing: confinement and the
        // refusal of anything but a regular file hold either way (a FIFO opened O_NONBLOCK does not block).
        std::string messages[2];
        for (bool knownRegular : {false, true}) {
            Opened opened = m_jail->openFile(std::string_view(path.constData(), size_t(path.size())), knownRegular);
            QCOMPARE(int(opened.error), code);
            QCOMPARE(opened.fd.isValid(), code == int(ErrorCode::Ok));
            if (code != int(ErrorCode::Ok))
                QVERIFY(!opened.message.empty());
            messages[knownRegular] = opened.message;
        }
        QCOMPARE(messages[true], messages[false]); // the client hears the same, whichever way it was opened
    }

    void recentFilesExpireAndForget()
    {
        RecentFiles recent;
        const int64_t t0 = 1'000'000'000;
        QVERIFY(!recent.contains("a.bin", t0));
        recent.remember("a.bin", t0);
        QVERIFY(recent.contains("a.bin", t0 + RecentFileTtlNs - 1));
        recent.remember("a.bin", t0 + RecentFileTtlNs - 1); // use does not extend the memory
        QVERIFY(!recent.contains("a.bin", t0 + RecentFileTtlNs));
        recent.remember("a.bin", t0 + RecentFileTtlNs); // a fresh probe does
        QVERIFY(recent.contains("a.bin", t0 + 2 * RecentFileTtlNs - 1));
        recent.forget("a.bin");
        QVERIFY(!recent.contains("a.bin", t0 + RecentFileTtlNs));
        for (size_t i = 0; i < RecentFileCapacity + 1; ++i)
            recent.remember(std::to_string(i), t0);
        QVERIFY(recent.size() <= RecentFileCapacity); // bounded, whatever clients ask for
    }

    void deviceNodeIsNotAFile()
    {
        QString node = m_root + "/null-device";
        if (mknod(QFile::encodeName(node).constData(), S_IFCHR | 0666, makedev(1, 3)) != 0)
            QSKIP("mknod needs privileges this run does not have");
        Opened opened = m_jail->openFile("null-device");
        QCOMPARE(int(opened.error), int(ErrorCode::NotAFile));
        unlink(QFile::encodeName(node).constData());
    }

    void hiddenWhenShown()
    {
        QCOMPARE(int(m_showing->openFile(".hidden").error), int(ErrorCode::Ok));
        QVERIFY(m_showing->isListed(".hidden"));
        QVERIFY(!m_jail->isListed(".hidden"));
        QCOMPARE(int(m_showing->openFile("..").error), int(ErrorCode::Forbidden)); // never, shown or not
    }

    void directories()
    {
        QCOMPARE(int(m_jail->openDirectory("").error), int(ErrorCode::Ok));
        QCOMPARE(int(m_jail->openDirectory("sub/deeper").error), int(ErrorCode::Ok));
        QCOMPARE(int(m_jail->openDirectory("file.txt").error), int(ErrorCode::NotADirectory));
        QCOMPARE(int(m_jail->openDirectory("out").error), int(ErrorCode::Forbidden));
    }

    void statDoesNotOpenFifo()
    {
        Opened fifo = m_jail->stat("fifo"); // would block forever if it opened the FIFO for reading
        QCOMPARE(int(fifo.error), int(ErrorCode::Ok));
        QVERIFY(S_ISFIFO(fifo.info.st_mode));
    }

    void readsTheRightBytes()
    {
        Opened opened = m_jail->openFile("file.txt");
        QCOMPARE(int(opened.error), int(ErrorCode::Ok));
        char buffer[16] = {};
        QCOMPARE(read(opened.fd.get(), buffer, sizeof buffer), ssize_t(5));
        QCOMPARE(QByteArray(buffer), QByteArray("hello"));
        QCOMPARE(opened.info.st_size, off_t(5));
    }
};

QTEST_GUILESS_MAIN(TestJail)
#include "tst_serverunit_jail.moc"
