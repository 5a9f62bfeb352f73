// The PROXY protocol header parser (server/net/proxy_header.h) against HAProxy's doc/proxy-protocol.txt:
// the spec's own examples and limits, every prefix of a valid header, and the malformed cases it names.
#include "net/proxy_header.h"
#include "net/net.h"

#include <QTest>

using namespace ferry::server;
using proxy::Verdict;

Q_DECLARE_METATYPE(proxy::Verdict)

namespace {

QByteArray v2(uint8_t versionCommand, uint8_t family, QByteArray block)
{
    QByteArray header = QByteArray::fromHex("0d0a0d0a000d0a515549540a");
    header.append(char(versionCommand));
    header.append(char(family));
    header.append(char(block.size() >> 8));
    header.append(char(block.size() & 0xFF));
    return header + block;
}

proxy::Header parse(const QByteArray &bytes)
{
    return proxy::parse({reinterpret_cast<const uint8_t *>(bytes.constData()), size_t(bytes.size())});
}

// An IPv4 TCP block: 192.168.0.1:56324 -> 192.168.0.11:443, the spec's v1 example in binary.
const QByteArray Tcp4Block = QByteArray::fromHex("c0a80001" "c0a8000b" "dc04" "01bb");
const QByteArray Tcp6Block = QByteArray::fromHex("20010db8000000000000000000000001" "20010db8000000000000000000000002"
                                                 "3039" "1212");

} // namespace

class TestProxyHeader : public QObject {
    Q_OBJECT
private slots:
    void parses_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<Verdict>("verdict");
        QTest::addColumn<int>("length");
        QTest::addColumn<QString>("source"); // formatAddress() of the source, Proxied only
        QByteArray example = "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n";
        QTest::newRow("v1 spec example") << example + "GET / HTTP/1.1\r\n" << Verdict::Proxied
                                         << int(example.size()) << "192.168.0.1:56324";
        QTest::newRow("v1 tcp6") << QByteArray("PROXY TCP6 2001:db8::1 2001:db8::2 12345 4646\r\n") << Verdict::Proxied
                                 << 47 << "[2001:db8::1]:12345";
        QTest::newRow("v1 longest ipv4 line")
            << QByteArray("PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n") << Verdict::Proxied << 56
            << "255.255.255.255:65535";
        QTest::newRow("v1 port zero") << QByteArray("PROXY TCP4 1.2.3.4 5.6.7.8 0 0\r\n") << Verdict::Proxied << 32
                                      << "1.2.3.4:0";
        QTest::newRow("v1 unknown short") << QByteArray("PROXY UNKNOWN\r\n") << Verdict::Local << 15 << "";
        QByteArray worst = "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
                           "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
        QTest::newRow("v1 unknown worst case, 107 bytes") << worst << Verdict::Local << 107 << "";
        QTest::newRow("v2 proxy tcp4") << v2(0x21, 0x11, Tcp4Block) + "\xf7" << Verdict::Proxied << 28
                                       << "192.168.0.1:56324";
        QTest::newRow("v2 proxy tcp6") << v2(0x21, 0x21, Tcp6Block) << Verdict::Proxied << 52
                                       << "[2001:db8::1]:12345";
        QTest::newRow("v2 tcp4 with TLVs skipped")
            << v2(0x21, 0x11, Tcp4Block + QByteArray::fromHex("0400020000" "05000361626300")) << Verdict::Proxied
            << 16 + 12 + 5 + 7 << "192.168.0.1:56324";
        QTest::newRow("v2 local, no addresses") << v2(0x20, 0x00, {}) << Verdict::Local << 16 << "";
        QTest::newRow("v2 local skips what its length says") << v2(0x20, 0x11, Tcp4Block) << Verdict::Local << 28 << "";
        QTest::newRow("v2 proxy unspec is the real peer") << v2(0x21, 0x00, {}) << Verdict::Local << 16 << "";
        QTest::newRow("v2 proxy unix stream") << v2(0x21, 0x31, QByteArray(216, 'a')) << Verdict::Local << 232 << "";
    }
    void parses()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(Verdict, verdict);
        QFETCH(int, length);
        QFETCH(QString, source);
        proxy::Header header = parse(bytes);
        QCOMPARE(header.verdict, verdict);
        QVERIFY2(header.reason.empty(), header.reason.c_str());
        QCOMPARE(int(header.length), length);
        if (verdict == Verdict::Proxied)
            QCOMPARE(QString::fromStdString(formatAddress(header.source)), source);
    }

    void every_prefix_needs_more_data()
    {
        // A fragmented header is waited for, never misread: each proper prefix asks for more.
        QTest::addColumn<QByteArray>("bytes");
        const QByteArray headers[] = {"PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n", v2(0x21, 0x11, Tcp4Block),
                                      v2(0x20, 0x00, {})};
        for (const QByteArray &header : headers) {
            for (int n = 0; n < header.size(); ++n)
                QVERIFY2(parse(header.left(n)).verdict == Verdict::NeedMore, qPrintable(QString::number(n)));
            QVERIFY(parse(header).verdict != Verdict::NeedMore);
        }
    }

    void absent_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::newRow("ferry hello") << QByteArray::fromHex("f70100000000001546455259");
        QTest::newRow("tls client hello") << QByteArray::fromHex("160301020001");
        QTest::newRow("http") << QByteArray("POST / HTTP/1.1\r\n");
        QTest::newRow("lower case proxy") << QByteArray("proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n");
        QTest::newRow("proxy without its space") << QByteArray("PROXYTCP4");
        QTest::newRow("v2 signature broken late") << QByteArray::fromHex("0d0a0d0a000d0a5155495420");
        QTest::newRow("CRLF CRLF CR") << QByteArray("\r\n\r\n\r");
    }
    void absent()
    {
        QFETCH(QByteArray, bytes);
        QCOMPARE(parse(bytes).verdict, Verdict::Absent);
    }

    void refuses_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("reason"); // a part of the one-sentence reason
        QTest::newRow("v1 lone LF") << QByteArray("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n") << "bare LF";
        QTest::newRow("v1 lone CR") << QByteArray("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX") << "bare CR";
        QTest::newRow("v1 no CRLF in 107 bytes") << QByteArray("PROXY UNKNOWN ") + QByteArray(100, 'f') << "107";
        QTest::newRow("v1 of 108 bytes") << QByteArray("PROXY UNKNOWN ") + QByteArray(92, 'f') + "\r\n" << "107";
        QTest::newRow("v1 udp") << QByteArray("PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n") << "neither TCP4";
        QTest::newRow("v1 missing port") << QByteArray("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n") << "five fields";
        QTest::newRow("v1 double space") << QByteArray("PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n") << "five fields";
        QTest::newRow("v1 trailing space") << QByteArray("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n") << "five fields";
        QTest::newRow("v1 leading zero octet") << QByteArray("PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n") << "IPv4";
        QTest::newRow("v1 octet 256") << QByteArray("PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n") << "IPv4";
        QTest::newRow("v1 three octets") << QByteArray("PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n") << "IPv4";
        QTest::newRow("v1 ipv6 in tcp4") << QByteArray("PROXY TCP4 ::1 5.6.7.8 1 2\r\n") << "IPv4";
        QTest::newRow("v1 ipv4 in tcp6") << QByteArray("PROXY TCP6 1.2.3.4 ::1 1 2\r\n") << "IPv6";
        QTest::newRow("v1 port 65536") << QByteArray("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n") << "port";
        QTest::newRow("v1 leading zero port") << QByteArray("PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n") << "port";
        QTest::newRow("v1 signed port") << QByteArray("PROXY TCP4 1.2.3.4 5.6.7.8 +80 2\r\n") << "port";
        QTest::newRow("v1 control byte") << QByteArray("PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n") << "printable";
        QTest::newRow("v2 version 1") << v2(0x11, 0x11, Tcp4Block) << "version other than 2";
        QTest::newRow("v2 command 2") << v2(0x22, 0x11, Tcp4Block) << "neither LOCAL nor PROXY";
        QTest::newRow("v2 family 4") << v2(0x21, 0x41, Tcp4Block) << "family";
        QTest::newRow("v2 transport 3") << v2(0x21, 0x13, Tcp4Block) << "family";
        QTest::newRow("v2 udp") << v2(0x21, 0x12, Tcp4Block) << "UDP";
        QTest::newRow("v2 tcp4 block too short") << v2(0x21, 0x11, Tcp4Block.left(11)) << "shorter";
        QTest::newRow("v2 tcp6 with a tcp4 block") << v2(0x21, 0x21, Tcp4Block) << "shorter";
        QTest::newRow("v2 longer than 4096") << v2(0x21, 0x11, QByteArray(4096 - 15, '\0')) << "4096";
    }
    void refuses()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, reason);
        proxy::Header header = parse(bytes);
        QCOMPARE(header.verdict, Verdict::Invalid);
        QVERIFY2(QString::fromStdString(header.reason).contains(reason), header.reason.c_str());
        QVERIFY(header.reason.find('\n') == std::string::npos);
    }

    void longest_v2_header_is_accepted()
    {
        QByteArray header = v2(0x21, 0x11, Tcp4Block + QByteArray(4096 - 16 - 12, '\0'));
        QCOMPARE(header.size(), 4096);
        QCOMPARE(parse(header).verdict, Verdict::Proxied);
        QCOMPARE(parse(header.left(4095)).verdict, Verdict::NeedMore);
    }
};

QTEST_GUILESS_MAIN(TestProxyHeader)
#include "tst_serverunit_proxyheader.moc"
