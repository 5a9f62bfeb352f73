// Every test vector of shared/protocol/vectors.txt decodes to its documented results,
// however the stream is split, and encodes back to the same bytes; docs/PROTOCOL.md
// shows the same vectors.
#include "vectorfile.h"

#include "protocol/codec.h"
#include "protocol/describe.h"

#include <QFile>
#include <QRandomGenerator>
#include <QTest>

#include <set>

using namespace ferry::proto;
using namespace ferry::proto::testing;

Q_DECLARE_METATYPE(std::vector<uint8_t>)
Q_DECLARE_METATYPE(std::vector<ferry::proto::testing::Expectation>)

namespace {

QByteArray readSourceFile(const char *relative)
{
    QFile file(QStringLiteral(FERRY_SOURCE_DIR "/") + QLatin1String(relative));
    if (!file.open(QIODevice::ReadOnly)) {
        qFatal("cannot read %s: %s", relative, qPrintable(file.errorString()));
    }
    return file.readAll();
}

std::vector<Vector> loadVectors()
{
    const QByteArray text = readSourceFile("shared/protocol/vectors.txt");
    std::vector<Vector> vectors;
    std::string error;
    if (!parseVectors(std::string_view(text.constData(), size_t(text.size())), vectors, error)) {
        qFatal("shared/protocol/vectors.txt: %s", error.c_str());
    }
    return vectors;
}

QString render(const std::vector<Expectation> &list)
{
    QStringList lines;
    for (const Expectation &e : list) {
        lines << QString::fromStdString(describe(e));
    }
    return lines.join(QLatin1Char('\n'));
}

bool endsInError(const Vector &v)
{
    return !v.expected.empty() && v.expected.back().kind == Expectation::Kind::Error;
}

// Rebuilds the wire bytes from decoded results: messages re-encoded, bodies raw.
std::vector<uint8_t> reencode(const std::vector<uint8_t> &stream)
{
    Decoder decoder;
    decoder.feed(stream);
    std::vector<uint8_t> out;
    for (;;) {
        DecodeResult r = decoder.finish();
        if (const auto *m = std::get_if<Message>(&r)) {
            encode(*m, out);
        } else if (const auto *chunk = std::get_if<BodyChunk>(&r)) {
            out.insert(out.end(), chunk->bytes.begin(), chunk->bytes.end());
        } else {
            return out;
        }
    }
}

} // namespace

class TestVectors : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void decodes_data();
    void decodes();
    void encodesBack_data();
    void encodesBack();
    void coverEveryMessageAndError();
    void protocolDocShowsTheVectors();

private:
    std::vector<Vector> m_vectors;
};

void TestVectors::initTestCase()
{
    m_vectors = loadVectors();
    QVERIFY(m_vectors.size() >= 30);
    std::set<std::string> names;
    for (const Vector &v : m_vectors) {
        QVERIFY2(names.insert(v.name).second, ("duplicate vector name " + v.name).c_str());
        QVERIFY2(!v.bytes.empty() && !v.expected.empty(), ("empty vector " + v.name).c_str());
    }
}

void TestVectors::decodes_data()
{
    QTest::addColumn<std::vector<uint8_t>>("bytes");
    QTest::addColumn<std::vector<Expectation>>("expected");
    QTest::addColumn<int>("split"); // 0: all at once, 1: byte by byte, else a random seed
    for (const Vector &v : loadVectors()) {
        QTest::addRow("%s/whole", v.name.c_str()) << v.bytes << v.expected << 0;
        QTest::addRow("%s/bytewise", v.name.c_str()) << v.bytes << v.expected << 1;
        for (int seed = 2; seed < 7; ++seed) {
            QTest::addRow("%s/random%d", v.name.c_str(), seed) << v.bytes << v.expected << seed;
        }
    }
}

void TestVectors::decodes()
{
    QFETCH(std::vector<uint8_t>, bytes);
    QFETCH(std::vector<Expectation>, expected);
    QFETCH(int, split);
    QRandomGenerator random{quint32(split)};
    const Chunker chunker = [&](size_t remaining) -> size_t {
        if (split == 0) {
            return remaining;
        }
        if (split == 1) {
            return 1;
        }
        return size_t(random.bounded(1, 24));
    };
    QCOMPARE(render(decodeStream(bytes, chunker)), render(expected));
}

void TestVectors::encodesBack_data()
{
    QTest::addColumn<std::vector<uint8_t>>("bytes");
    for (const Vector &v : loadVectors()) {
        if (!endsInError(v)) {
            QTest::addRow("%s", v.name.c_str()) << v.bytes;
        }
    }
}

void TestVectors::encodesBack()
{
    QFETCH(std::vector<uint8_t>, bytes);
    const std::vector<uint8_t> again = reencode(bytes);
    QCOMPARE(QByteArray(reinterpret_cast<const char *>(again.data()), qsizetype(again.size())).toHex(' '),
             QByteArray(reinterpret_cast<const char *>(bytes.data()), qsizetype(bytes.size())).toHex(' '));
}

// The vectors are the spec's examples: each message type and each way a stream can be
// malformed has at least one, and every malformed stream is told apart by its error.
void TestVectors::coverEveryMessageAndError()
{
    std::set<std::string> seen;
    for (const Vector &v : m_vectors) {
        for (const Expectation &e : v.expected) {
            if (e.kind == Expectation::Kind::Message) {
                seen.insert(e.text.substr(0, e.text.find(' ')));
            } else if (e.kind == Expectation::Kind::Error) {
                seen.insert(e.text);
            }
        }
    }
    for (int type = 0; type < 256; ++type) {
        if (isKnownMessageType(uint8_t(type))) {
            QVERIFY2(seen.count(messageTypeName(MessageType(type))), messageTypeName(MessageType(type)));
        }
    }
    for (int e = int(DecodeError::BadMarker); e <= int(DecodeError::Truncated); ++e) {
        QVERIFY2(seen.count(decodeErrorName(DecodeError(e))), decodeErrorName(DecodeError(e)));
    }
}

// PROTOCOL.md carries vectors.txt verbatim between two markers, inside a code fence.
void TestVectors::protocolDocShowsTheVectors()
{
    const QByteArray doc = readSourceFile("docs/PROTOCOL.md");
    const QByteArray begin = "<!-- vectors:begin -->\n```text\n";
    const QByteArray end = "```\n<!-- vectors:end -->";
    const qsizetype from = doc.indexOf(begin);
    const qsizetype to = doc.indexOf(end);
    QVERIFY2(from >= 0 && to > from, "docs/PROTOCOL.md lacks the vectors:begin/end section");
    const QByteArray shown = doc.mid(from + begin.size(), to - from - begin.size());
    QVERIFY2(shown == readSourceFile("shared/protocol/vectors.txt"),
             "docs/PROTOCOL.md's vectors differ from shared/protocol/vectors.txt: run tests/protocol/sync-vectors");
}

QTEST_GUILESS_MAIN(TestVectors)
#include "tst_vectors.moc"
