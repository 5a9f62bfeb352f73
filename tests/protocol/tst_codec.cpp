// The codec against hand-made cases: round trips of every message, malformed input,
// chunking invariance, paging, raw bodies, and the buffer hand-over.
#include "vectorfile.h"

#include "protocol/codec.h"
#include "protocol/describe.h"

#include <QRandomGenerator>
#include <QTest>

using namespace ferry::proto;
using namespace ferry::proto::testing;

Q_DECLARE_METATYPE(ferry::proto::Message)
Q_DECLARE_METATYPE(ferry::proto::DecodeError)
Q_DECLARE_METATYPE(std::vector<uint8_t>)

namespace {

constexpr int64_t Mtime = 1700000000123456789;

std::vector<uint8_t> bytesOf(const QByteArray &hexOrText, bool isHex = true)
{
    const QByteArray raw = isHex ? QByteArray::fromHex(hexOrText) : hexOrText;
    return std::vector<uint8_t>(raw.begin(), raw.end());
}

std::vector<uint8_t> concat(std::initializer_list<std::vector<uint8_t>> parts)
{
    std::vector<uint8_t> out;
    for (const auto &p : parts) {
        out.insert(out.end(), p.begin(), p.end());
    }
    return out;
}

// Decodes exactly one message from `bytes` fed in one piece; fails the test otherwise.
Message decodeOne(const std::vector<uint8_t> &bytes)
{
    Decoder decoder;
    decoder.feed(bytes);
    DecodeResult r = decoder.next();
    if (!std::holds_alternative<Message>(r)) {
        QTest::qFail("no message decoded", __FILE__, __LINE__);
        return Error{};
    }
    return std::get<Message>(r);
}

// The decoder's verdict on `bytes` followed by the end of the stream.
std::optional<DecodeError> verdict(const std::vector<uint8_t> &bytes, uint32_t maxPayload = MaxFramePayload)
{
    const auto results = decodeStream(bytes, [](size_t n) { return n; }, maxPayload);
    if (results.empty() || results.back().kind != Expectation::Kind::Error) {
        return std::nullopt;
    }
    for (int e = int(DecodeError::BadMarker); e <= int(DecodeError::Truncated); ++e) {
        if (results.back().text == decodeErrorName(DecodeError(e))) {
            return DecodeError(e);
        }
    }
    return std::nullopt;
}

std::vector<Entry> manyEntries(size_t count)
{
    std::vector<Entry> entries;
    for (size_t i = 0; i < count; ++i) {
        entries.push_back({i % 7 == 0 ? EntryKind::Directory : EntryKind::File, i * 4099, Mtime - int64_t(i),
                           "entry-" + std::to_string(i) + ".dat"});
    }
    return entries;
}

std::string digestBytes()
{
    std::string d;
    for (int i = 0; i < 32; ++i) {
        d += char(i * 37);
    }
    return d;
}

} // namespace

class TestCodec : public QObject {
    Q_OBJECT

private slots:
    void roundTrip_data();
    void roundTrip();
    void malformed_data();
    void malformed();
    void errorsStick();
    void smallerConfiguredLimit();
    void chunkingDoesNotMatter();
    void cleanEndOfStream();
    void longStringsAreCut_data();
    void longStringsAreCut();
    void listPagesFitTheFrameLimit();
    void bodyReadDirectly();
    void takeBufferedHandsOverTheRest();
    void errorCodesForDecodeErrors_data();
    void errorCodesForDecodeErrors();
};

namespace {

std::vector<Capability> manyCapabilities(size_t count)
{
    std::vector<Capability> list;
    for (size_t i = 0; i < count; ++i)
        list.push_back({"c" + std::to_string(i), std::to_string(i)});
    return list;
}

ManifestPage manifestPage(uint32_t digests)
{
    ManifestPage page{uint64_t(digests) * 4096, Mtime, 4096, digests + 7, {}, 7, true, {}};
    page.root.fill(0xAB);
    for (uint32_t i = 0; i < digests; ++i) {
        Sha256Digest d{};
        d.fill(uint8_t(i));
        page.digests.push_back(d);
    }
    return page;
}

} // namespace

void TestCodec::roundTrip_data()
{
    QTest::addColumn<Message>("message");
    QTest::newRow("hello") << Message(Hello{1, "ferry-get/0.1"});
    QTest::newRow("hello-empty-agent") << Message(Hello{1, ""});
    QTest::newRow("list-root") << Message(ListRequest{""});
    QTest::newRow("list-utf8") << Message(ListRequest{"m\xc3\xbasica/\xe6\x97\xa5\xe6\x9c\xac"});
    QTest::newRow("list-max-path") << Message(ListRequest{std::string(MaxPathLength, 'p')});
    QTest::newRow("stat") << Message(StatRequest{"a/b/c.txt"});
    QTest::newRow("get-to-end") << Message(GetRequest{"big.iso", 0, ToEnd});
    QTest::newRow("get-range") << Message(GetRequest{"big.iso", UINT64_MAX - 1, 1});
    QTest::newRow("digest") << Message(DigestRequest{"f", DigestAlgo::Sha256, 10, 20});
    QTest::newRow("digest-unknown-algo") << Message(DigestRequest{"f", DigestAlgo(200), 0, ToEnd});
    QTest::newRow("welcome") << Message(Welcome{1, 65536, "ferry-server/0.1", {}});
    QTest::newRow("hello-v2") << Message(Hello{2, "ferry-get/0.2"});
    QTest::newRow("welcome-v2") << Message(Welcome{2, 65536, "s", {{"auth", "required"}, {"x-future", ""}}});
    QTest::newRow("welcome-v2-64-capabilities") << Message(Welcome{2, 1, "", manyCapabilities(MaxCapabilities)});
    QTest::newRow("auth") << Message(AuthRequest{std::string(43, 't')});
    QTest::newRow("auth-reply") << Message(AuthReply{"id", "label", "a/b", INT64_MAX, 1, UINT64_MAX, 0});
    QTest::newRow("manifest") << Message(ManifestRequest{"big.iso"});
    QTest::newRow("bye") << Message(Bye{});
    QTest::newRow("manifest-page-1000") << Message(manifestPage(1000));
    QTest::newRow("manifest-page-empty") << Message(manifestPage(0));
    QTest::newRow("list-page-empty") << Message(ListPage{true, {}});
    QTest::newRow("list-page-500") << Message(ListPage{false, manyEntries(500)});
    QTest::newRow("list-page-extremes")
        << Message(ListPage{true,
                            {{EntryKind::Other, UINT64_MAX, INT64_MIN, ""}, {EntryKind::File, 0, INT64_MAX, "x"}}});
    QTest::newRow("stat-reply") << Message(StatReply{{EntryKind::Directory, 4096, -5, "dir"}});
    QTest::newRow("body") << Message(Body{7, 0, 7, Mtime});
    QTest::newRow("body-end-ok") << Message(BodyEnd{ErrorCode::Ok, ""});
    QTest::newRow("body-end-changed") << Message(BodyEnd{ErrorCode::FileChanged, "file shrank"});
    QTest::newRow("busy") << Message(Busy{UINT32_MAX, "later"});
    QTest::newRow("digest-reply") << Message(DigestReply{DigestAlgo::Sha256, digestBytes()});
    QTest::newRow("digest-reply-none") << Message(DigestReply{DigestAlgo::None, ""});
    QTest::newRow("error") << Message(Error{ErrorCode::Forbidden, "outside the root"});
    QTest::newRow("error-binary-message") << Message(Error{ErrorCode::Internal, std::string("a\0b\xff", 4)});
    QTest::newRow("error-unknown-code") << Message(Error{ErrorCode(999), "newer"});
}

void TestCodec::roundTrip()
{
    QFETCH(Message, message);
    const std::vector<uint8_t> bytes = encode(message);
    QCOMPARE(bytes.size(), encodedSize(message));
    QVERIFY(bytes.size() - FrameHeaderSize <= MaxFramePayload);
    QCOMPARE(bytes[1], uint8_t(typeOf(message)));
    const Message decoded = decodeOne(bytes);
    QCOMPARE(toString(decoded), toString(message));
    QVERIFY(decoded == message);
    // Fed byte by byte, the same message and nothing else comes out.
    const auto bytewise = decodeStream(bytes, [](size_t) { return 1; });
    QCOMPARE(bytewise.size(), size_t(1));
    QCOMPARE(bytewise.front().text, toString(message));
}

void TestCodec::malformed_data()
{
    QTest::addColumn<std::vector<uint8_t>>("bytes");
    QTest::addColumn<DecodeError>("error");
    const auto hello = encode(Hello{1, "x"});
    auto cut = hello;
    cut.resize(hello.size() - 1);
    QTest::newRow("truncated-frame") << cut << DecodeError::Truncated;
    QTest::newRow("truncated-header") << bytesOf("f70100") << DecodeError::Truncated;
    QTest::newRow("truncated-body") << concat({encode(Body{0, 4, 4, 0}), bytesOf("0102")}) << DecodeError::Truncated;
    QTest::newRow("oversize-length") << bytesOf("f704000000100001") << DecodeError::FrameTooLarge;
    QTest::newRow("oversize-length-max") << bytesOf("f7040000ffffffff") << DecodeError::FrameTooLarge;
    QTest::newRow("unknown-type") << bytesOf("f7ee000000000000") << DecodeError::UnknownType;
    QTest::newRow("unknown-type-zero") << bytesOf("f700000000000000") << DecodeError::UnknownType;
    QTest::newRow("wrong-marker") << bytesOf("f601000000000000") << DecodeError::BadMarker;
    QTest::newRow("wrong-marker-tls") << bytesOf("160301") << DecodeError::BadMarker;
    QTest::newRow("wrong-marker-later") << concat({hello, bytesOf("00")}) << DecodeError::BadMarker;
    QTest::newRow("http-after-hello") << concat({hello, bytesOf("GET ", false)}) << DecodeError::BadMarker;
    QTest::newRow("partial-http-method") << bytesOf("GE", false) << DecodeError::BadMarker;
    QTest::newRow("lower-case-get") << bytesOf("get / HTTP/1.1\r\n", false) << DecodeError::BadMarker;
    QTest::newRow("wrong-magic") << bytesOf("f70100000000000746455258000100") << DecodeError::BadMagic;
    QTest::newRow("wrong-version-0") << bytesOf("f70100000000000746455259000000") << DecodeError::UnsupportedVersion;
    QTest::newRow("wrong-version-3") << bytesOf("f70100000000000746455259000300") << DecodeError::UnsupportedVersion;
    for (const char *method : {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "CONNECT", "TRACE", "PATCH"}) {
        const QByteArray line = QByteArray(method) + " / HTTP/1.1\r\nHost: x\r\n\r\n";
        QTest::addRow("http-%s", method) << bytesOf(line, false) << DecodeError::HttpRequest;
    }
    QTest::newRow("trailing-garbage") << bytesOf("f70300000000000400000000") << DecodeError::TrailingBytes;
    QTest::newRow("short-payload") << bytesOf("f704000000000002 0000") << DecodeError::ShortPayload;
    QTest::newRow("short-string") << bytesOf("f7030000000000030005ab") << DecodeError::ShortPayload;
    QTest::newRow("bad-flags") << bytesOf("f702800000000002 0000") << DecodeError::BadFlags;
    QTest::newRow("bad-value-algo") << bytesOf("f7470000000000030200 00") << DecodeError::BadValue;
    QTest::newRow("bad-value-kind-0") << bytesOf("f743000000000013 00 0000000000000000 0000000000000000 0000")
                                      << DecodeError::BadValue;
    QTest::newRow("path-too-long") << encode(GetRequest{std::string(MaxPathLength + 1, 'a'), 0, 1})
                                   << DecodeError::PathTooLong;
    QTest::newRow("path-too-long-stat") << bytesOf("f703000000000002ffff") << DecodeError::PathTooLong;
    QTest::newRow("path-too-long-digest") << bytesOf("f705000000000002 1001") << DecodeError::PathTooLong;
}

void TestCodec::malformed()
{
    QFETCH(std::vector<uint8_t>, bytes);
    QFETCH(DecodeError, error);
    // An exactly sized heap copy per split: a read past the end is an ASan report.
    for (int split : {0, 1, 2, 3}) {
        QRandomGenerator random{quint32(split)};
        const auto results = decodeStream(bytes, [&](size_t n) -> size_t {
            return split == 0 ? n : split == 1 ? 1 : size_t(random.bounded(1, 9));
        });
        QVERIFY(!results.empty());
        QCOMPARE(results.back().kind, Expectation::Kind::Error);
        QCOMPARE(QString::fromStdString(results.back().text), QString::fromLatin1(decodeErrorName(error)));
    }
}

void TestCodec::errorsStick()
{
    Decoder decoder;
    decoder.feed(bytesOf("GET / HTTP/1.1\r\n", false));
    QVERIFY(std::get<DecodeError>(decoder.next()) == DecodeError::HttpRequest);
    decoder.feed(encode(Hello{1, "x"}));
    QVERIFY(std::get<DecodeError>(decoder.next()) == DecodeError::HttpRequest);
    QVERIFY(std::get<DecodeError>(decoder.finish()) == DecodeError::HttpRequest);
    QCOMPARE(decoder.buffered(), size_t(0));
}

void TestCodec::smallerConfiguredLimit()
{
    const auto page = encode(ListPage{true, manyEntries(100)});
    const uint32_t payload = uint32_t(page.size() - FrameHeaderSize);
    QVERIFY(verdict(page, payload) == std::nullopt);
    QVERIFY(verdict(page, payload - 1) == DecodeError::FrameTooLarge);
    // A limit above the protocol's maximum is capped at it.
    QVERIFY(verdict(bytesOf("f704000000100001"), UINT32_MAX) == DecodeError::FrameTooLarge);
}

// A long mixed stream, split every which way, always decodes to the same results.
void TestCodec::chunkingDoesNotMatter()
{
    std::vector<uint8_t> stream;
    QRandomGenerator random(42);
    size_t expectedCount = 0;
    for (int i = 0; i < 60; ++i) {
        encode(ListPage{i % 10 == 9, manyEntries(size_t(random.bounded(0, 40)))}, stream);
        const uint64_t length = random.bounded(0, 3000);
        encode(Body{0, length, length, Mtime}, stream);
        for (uint64_t b = 0; b < length; ++b) {
            stream.push_back(uint8_t(random.generate()));
        }
        encode(BodyEnd{ErrorCode::Ok, ""}, stream);
        encode(Error{ErrorCode::NotFound, "no " + std::to_string(i)}, stream);
        expectedCount += length > 0 ? 5 : 4; // page, body announce, [body], body end, error
    }
    const auto whole = decodeStream(stream, [](size_t n) { return n; });
    QCOMPARE(whole.size(), expectedCount);
    QCOMPARE(whole.back().kind, Expectation::Kind::Message);
    QVERIFY(decodeStream(stream, [](size_t) { return 1; }) == whole);
    for (quint32 seed = 1; seed <= 5; ++seed) {
        QRandomGenerator pieces(seed);
        QVERIFY(decodeStream(stream, [&](size_t) { return size_t(pieces.bounded(1, 5000)); }) == whole);
    }
}

void TestCodec::cleanEndOfStream()
{
    Decoder decoder;
    QVERIFY(std::holds_alternative<NeedMore>(decoder.finish()));
    decoder.feed(encode(StatRequest{"a"}));
    QVERIFY(std::holds_alternative<Message>(decoder.finish()));
    QVERIFY(std::holds_alternative<NeedMore>(decoder.finish()));
    QVERIFY(std::holds_alternative<NeedMore>(decoder.next()));
}

void TestCodec::longStringsAreCut_data()
{
    QTest::addColumn<QByteArray>("prefix");
    QTest::addColumn<int>("kept");
    // After "a", 32767 two-byte characters end exactly at byte 65535: all kept.
    QTest::newRow("fits") << QByteArray("a") << 65535;
    // Without it the 65535-byte cut falls inside the 32768th character: it goes whole.
    QTest::newRow("splits-a-character") << QByteArray() << 65534;
}

void TestCodec::longStringsAreCut()
{
    QFETCH(QByteArray, prefix);
    QFETCH(int, kept);
    std::string text = prefix.toStdString();
    for (int i = 0; i < 32768; ++i) {
        text += "\xc3\xa9";
    }
    const Message decoded = decodeOne(encode(Error{ErrorCode::Internal, text}));
    const std::string &message = std::get<Error>(decoded).message;
    QCOMPARE(message.size(), size_t(kept));
    QCOMPARE(message, text.substr(0, size_t(kept)));
}

// A server fills pages by encodedSize(); 100,000 entries become several frames,
// each within the limit, and come back complete and in order.
void TestCodec::listPagesFitTheFrameLimit()
{
    const std::vector<Entry> entries = manyEntries(100000);
    std::vector<uint8_t> stream;
    std::vector<Entry> page;
    size_t pageSize = ListPageFixedSize;
    int frames = 0;
    for (const Entry &entry : entries) {
        if (pageSize + encodedSize(entry) > MaxFramePayload) {
            encode(ListPage{false, std::move(page)}, stream);
            page.clear();
            pageSize = ListPageFixedSize;
            ++frames;
        }
        page.push_back(entry);
        pageSize += encodedSize(entry);
    }
    encode(ListPage{true, std::move(page)}, stream);
    ++frames;
    QVERIFY(frames > 1);

    Decoder decoder;
    decoder.feed(stream);
    std::vector<Entry> received;
    for (int i = 0; i < frames; ++i) {
        DecodeResult r = decoder.next();
        QVERIFY(std::holds_alternative<Message>(r));
        ListPage &p = std::get<ListPage>(std::get<Message>(r));
        QCOMPARE(p.last, i == frames - 1);
        received.insert(received.end(), p.entries.begin(), p.entries.end());
    }
    QVERIFY(std::holds_alternative<NeedMore>(decoder.finish()));
    QVERIFY(received == entries);
}

// A client may read body bytes straight from the socket: only what the decoder has
// not buffered yet, and only up to bodyRemaining().
void TestCodec::bodyReadDirectly()
{
    const std::vector<uint8_t> announce = encode(Body{0, 1000, 1000, Mtime});
    Decoder decoder;
    decoder.feed(concat({announce, bytesOf("0102030405")}));
    QVERIFY(std::holds_alternative<Body>(std::get<Message>(decoder.next())));
    QCOMPARE(decoder.bodyRemaining(), uint64_t(1000));
    const auto chunk = std::get<BodyChunk>(decoder.next());
    QCOMPARE(chunk.bytes.size(), size_t(5));
    QCOMPARE(chunk.bytes[4], uint8_t(5));
    QCOMPARE(decoder.buffered(), size_t(0));
    decoder.consumeBodyDirect(995);
    QCOMPARE(decoder.bodyRemaining(), uint64_t(0));
    decoder.feed(encode(BodyEnd{ErrorCode::Ok, ""}));
    QVERIFY(std::get<Message>(decoder.next()) == Message(BodyEnd{ErrorCode::Ok, ""}));
    QVERIFY(std::holds_alternative<NeedMore>(decoder.finish()));
}

// The server parent reads the first request, then passes what else arrived along
// with the connection; a fresh decoder carries on from those bytes.
void TestCodec::takeBufferedHandsOverTheRest()
{
    const auto get = encode(GetRequest{"f", 0, ToEnd});
    const auto stat = encode(StatRequest{"g"});
    Decoder parent;
    parent.feed(concat({encode(Hello{1, "x"}), get, std::vector<uint8_t>(stat.begin(), stat.begin() + 3)}));
    QVERIFY(std::holds_alternative<Hello>(std::get<Message>(parent.next())));
    const std::vector<uint8_t> rest = parent.takeBuffered();
    QCOMPARE(rest.size(), get.size() + 3);
    QCOMPARE(parent.buffered(), size_t(0));

    Decoder worker;
    worker.feed(rest);
    worker.feed(std::span(stat).subspan(3));
    QVERIFY(std::get<Message>(worker.next()) == Message(GetRequest{"f", 0, ToEnd}));
    QVERIFY(std::get<Message>(worker.next()) == Message(StatRequest{"g"}));
    QVERIFY(std::holds_alternative<NeedMore>(worker.finish()));
}

void TestCodec::errorCodesForDecodeErrors_data()
{
    QTest::addColumn<DecodeError>("error");
    QTest::addColumn<int>("code");
    for (int e = int(DecodeError::BadMarker); e <= int(DecodeError::Truncated); ++e) {
        const auto error = DecodeError(e);
        const ErrorCode code = error == DecodeError::PathTooLong          ? ErrorCode::Forbidden
                               : error == DecodeError::UnsupportedVersion ? ErrorCode::UnsupportedVersion
                                                                          : ErrorCode::BadRequest;
        QTest::newRow(decodeErrorName(error)) << error << int(code);
    }
}

void TestCodec::errorCodesForDecodeErrors()
{
    QFETCH(DecodeError, error);
    QFETCH(int, code);
    QCOMPARE(int(errorCodeFor(error)), code);
    QVERIFY(std::string(errorCodeName(errorCodeFor(error))) != "UNKNOWN");
}

QTEST_GUILESS_MAIN(TestCodec)
#include "tst_codec.moc"
