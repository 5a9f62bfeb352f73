// The client addresses in shared memory (ipc/address_table.h): how a peer becomes a key, that one address
// keeps one slot, that a full table reuses the least recently used idle slot and never one with a body in
// flight, and the quota window: exact reservations, refunds, and a fixed window from the first byte.
#include "base/clock.h"
#include "ipc/address_table.h"
#include "ipc/token_table.h"

#include <QTest>

using namespace ferry::server;

namespace {

constexpr int64_t Second = 1'000'000'000;

AddressKey keyOf(const char *peer) { return *addressKeyOf(peer); }

// The i-th of many distinct addresses, 10.0.x.y.
AddressKey nth(int i) { return keyOf(("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256)).c_str()); }

} // namespace

class TestAddresses : public QObject {
    Q_OBJECT
private slots:
    void keysIgnoreThePortAndMapIpv4_data();
    void keysIgnoreThePortAndMapIpv4();
    void oneAddressKeepsOneSlot();
    void fullTableReusesTheLeastRecentlyUsedIdleSlot();
    void slotsWithBodiesInFlightAreNeverReused();
    void windowReservesExactlyAndRefunds();
    void windowIsFixedFromTheFirstByte();
    void tokenReservationsCountWithUsage();
};

void TestAddresses::keysIgnoreThePortAndMapIpv4_data()
{
    QTest::addColumn<QString>("a");
    QTest::addColumn<QString>("b");
    QTest::addColumn<bool>("same");
    QTest::newRow("port") << "192.0.2.7:5678" << "192.0.2.7:1" << true;
    QTest::newRow("bare") << "192.0.2.7" << "192.0.2.7:80" << true;
    QTest::newRow("mapped") << "[::ffff:192.0.2.7]:9" << "192.0.2.7:9" << true;
    QTest::newRow("ipv6") << "[2001:db8::1]:443" << "2001:db8::1" << true;
    QTest::newRow("other v4") << "192.0.2.7:1" << "192.0.2.8:1" << false;
    QTest::newRow("other v6") << "[2001:db8::1]:1" << "[2001:db8::2]:1" << false;
}

void TestAddresses::keysIgnoreThePortAndMapIpv4()
{
    QFETCH(QString, a);
    QFETCH(QString, b);
    QFETCH(bool, same);
    const std::optional<AddressKey> ka = addressKeyOf(a.toStdString()), kb = addressKeyOf(b.toStdString());
    QVERIFY(ka && kb);
    QCOMPARE(*ka == *kb, same);
    QVERIFY(!addressKeyOf("localhost:80"));
    QVERIFY(!addressKeyOf("[2001:db8::1:443"));
    QVERIFY(!addressKeyOf(""));
}

void TestAddresses::oneAddressKeepsOneSlot()
{
    AddressTable table(64);
    const std::optional<uint32_t> first = table.acquire(keyOf("192.0.2.1:1"), Second);
    const std::optional<uint32_t> again = table.acquire(keyOf("192.0.2.1:2"), 2 * Second);
    const std::optional<uint32_t> other = table.acquire(keyOf("192.0.2.2:1"), 2 * Second);
    QVERIFY(first && again && other);
    QCOMPARE(*again, *first);
    QVERIFY(*other != *first);
    table.release(*first, 3 * Second);
    table.release(*again, 3 * Second);
    QCOMPARE(table.acquire(keyOf("192.0.2.1"), 4 * Second), first); // idle, but still its own
}

// 32 slots, all one neighbourhood: 32 addresses fill it; a 33rd takes the slot idle the longest, whose
// counts start afresh.
void TestAddresses::fullTableReusesTheLeastRecentlyUsedIdleSlot()
{
    AddressTable table(ProbeLength);
    std::vector<uint32_t> taken;
    for (int i = 0; i < int(ProbeLength); ++i) {
        const std::optional<uint32_t> slot = table.acquire(nth(i), Second);
        QVERIFY(slot);
        taken.push_back(*slot);
    }
    WindowTicket ticket;
    uint64_t used = 0;
    QVERIFY(table.reserveBytes(taken[5], 900, 1000, 60'000, Second, ticket, used));
    for (int i = 0; i < int(ProbeLength); ++i) // slot of address 5 released first: the oldest
        table.release(taken[size_t(i)], (i == 5 ? 2 : 3 + i) * Second);
    const std::optional<uint32_t> newcomer = table.acquire(nth(1000), 100 * Second);
    QCOMPARE(newcomer, std::optional<uint32_t>(taken[5]));
    QVERIFY(table.reserveBytes(*newcomer, 1000, 1000, 60'000, 100 * Second, ticket, used)); // not 900 used
}

void TestAddresses::slotsWithBodiesInFlightAreNeverReused()
{
    AddressTable table(ProbeLength);
    for (int i = 0; i < int(ProbeLength); ++i)
        QVERIFY(table.acquire(nth(i), Second));
    QVERIFY(!table.acquire(nth(1000), 2 * Second)); // every slot pinned: refused, never an unlimited pass
    const std::optional<uint32_t> seven = table.acquire(nth(7), 2 * Second); // a known address still is served
    QVERIFY(seven);
    table.release(*seven, 3 * Second);
    QVERIFY(!table.acquire(nth(1000), 3 * Second)); // address 7 still has its first body in flight
    table.release(*seven, 4 * Second);
    QCOMPARE(table.acquire(nth(1000), 5 * Second), seven);
}

void TestAddresses::windowReservesExactlyAndRefunds()
{
    AddressTable table(64);
    const uint32_t slot = *table.acquire(keyOf("192.0.2.1"), Second);
    WindowTicket a, b, c;
    uint64_t used = 0;
    QVERIFY(table.reserveBytes(slot, 600, 1000, 60'000, Second, a, used));
    QVERIFY(!table.reserveBytes(slot, 401, 1000, 60'000, Second, b, used));
    QCOMPARE(used, uint64_t(600));
    QVERIFY(table.reserveBytes(slot, 400, 1000, 60'000, Second, b, used)); // exactly the limit
    table.refundBytes(slot, a, 100);                                       // 500 of 600 sent
    QVERIFY(table.reserveBytes(slot, 100, 1000, 60'000, Second, c, used));
    QVERIFY(!table.reserveBytes(slot, 1, 1000, 60'000, Second, c, used));
}

// The window opens at the first reservation and lasts windowMs from then, whatever comes in between; a
// reservation from the old window refunds nothing into the new one.
void TestAddresses::windowIsFixedFromTheFirstByte()
{
    AddressTable table(64);
    const uint32_t slot = *table.acquire(keyOf("192.0.2.1"), Second);
    WindowTicket old, fresh;
    uint64_t used = 0;
    const int64_t start = monotonicNs() + 10 * Second; // the table's clock starts when it is made
    QVERIFY(table.reserveBytes(slot, 1000, 1000, 60'000, start, old, used));
    QVERIFY(!table.reserveBytes(slot, 1, 1000, 60'000, start + 59 * Second, fresh, used));
    QVERIFY(table.reserveBytes(slot, 1000, 1000, 60'000, start + 61 * Second, fresh, used));
    table.refundBytes(slot, old, 1000);
    QVERIFY(!table.reserveBytes(slot, 1, 1000, 60'000, start + 62 * Second, fresh, used));
}

// A token's allowance counts what is used and what bodies under way reserved: two reservations that
// each fit but not together are not both granted; a settled body counts what it sent.
void TestAddresses::tokenReservationsCountWithUsage()
{
    TokenTable tokens(2);
    uint64_t used = 0;
    QVERIFY(tokens.reserveBytes(0, 4096, 5000, used));
    QVERIFY(!tokens.reserveBytes(0, 4096, 5000, used));
    QCOMPARE(used, uint64_t(4096));
    tokens.settleBytes(0, 1000, 4096); // cut after 1000 bytes
    QCOMPARE(tokens.slot(0).bytesUsed.load(), uint64_t(1000));
    QVERIFY(tokens.reserveBytes(0, 4000, 5000, used));
    QVERIFY(!tokens.reserveBytes(0, 1, 5000, used));
    QVERIFY(tokens.reserveBytes(0, 1'000'000, 0, used)); // no limit: nothing to reserve
}

QTEST_GUILESS_MAIN(TestAddresses)
#include "tst_serverunit_addresses.moc"
