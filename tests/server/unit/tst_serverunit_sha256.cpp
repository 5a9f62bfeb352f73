// SHA-256 against the FIPS 180-4 examples, and chunking invariance.
#include "worker/sha256.h"

#include <QTest>

using ferry::server::Sha256;

namespace {
QByteArray hexDigest(const QByteArray &data, int chunk)
{
    Sha256 hash;
    for (int i = 0; i < data.size(); i += chunk)
        hash.update(reinterpret_cast<const uint8_t *>(data.constData()) + i, size_t(qMin(chunk, int(data.size()) - i)));
    auto digest = hash.finish();
    return QByteArray(reinterpret_cast<const char *>(digest.data()), int(digest.size())).toHex();
}
} // namespace

class TestSha256 : public QObject {
    Q_OBJECT
private slots:
    void vectors_data()
    {
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<QByteArray>("digest");
        QTest::newRow("empty") << QByteArray()
                               << QByteArray("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        QTest::newRow("abc") << QByteArray("abc")
                             << QByteArray("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        QTest::newRow("448 bits") << QByteArray("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                                  << QByteArray("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
        QTest::newRow("million a") << QByteArray(1000000, 'a')
                                   << QByteArray("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
        QTest::newRow("55 bytes (one-block padding edge)") << QByteArray(55, 'x')
            << QByteArray("d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072");
        QTest::newRow("56 bytes (two-block padding edge)") << QByteArray(56, 'x')
            << QByteArray("04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e");
    }
    void vectors()
    {
        QFETCH(QByteArray, input);
        QFETCH(QByteArray, digest);
        for (int chunk : {1, 3, 63, 64, 65, 4096, 1 << 20})
            QCOMPARE(hexDigest(input, chunk), digest);
    }
};

QTEST_GUILESS_MAIN(TestSha256)
#include "tst_serverunit_sha256.moc"
