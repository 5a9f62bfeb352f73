#include "net/proxy_header.h"

#include <algorithm>
#include <arpa/inet.h>
#include <cstring>
#include <netinet/in.h>
#include <string_view>
#include <vector>

namespace ferry::server::proxy {

namespace {

constexpr uint8_t V2Signature[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
constexpr std::string_view V1Signature = "PROXY ";
constexpr size_t V2FixedSize = 16;

Header invalid(int version, std::string reason)
{
    Header header;
    header.verdict = Verdict::Invalid;
    header.version = version;
    header.reason = std::move(reason);
    return header;
}

Header verdict(Verdict kind, int version, size_t length = 0)
{
    Header header;
    header.verdict = kind;
    header.version = version;
    header.length = length;
    return header;
}

// Whether `bytes` so far agree with `signature`; Absent at the first byte that differs.
bool agrees(std::span<const uint8_t> bytes, std::span<const uint8_t> signature)
{
    size_t n = std::min(bytes.size(), signature.size());
    return std::equal(bytes.begin(), bytes.begin() + n, signature.begin());
}

// A decimal without leading zeros ("0" itself allowed), at most `max`: the spec forbids leading zeros
// so that no reader takes 010 for octal.
bool decimal(std::string_view text, unsigned max, unsigned &value)
{
    if (text.empty() || text.size() > 5 || (text.size() > 1 && text[0] == '0'))
        return false;
    value = 0;
    for (char c : text) {
        if (c < '0' || c > '9')
            return false;
        value = value * 10 + unsigned(c - '0');
    }
    return value <= max;
}

bool ipv4(std::string_view text, in_addr &address)
{
    uint32_t host = 0;
    for (int part = 0; part < 4; ++part) {
        size_t dot = part < 3 ? text.find('.') : text.size();
        unsigned octet = 0;
        if (dot == std::string_view::npos || dot > 3 || !decimal(text.substr(0, dot), 255, octet))
            return false;
        host = host << 8 | octet;
        text.remove_prefix(part < 3 ? dot + 1 : dot);
    }
    address.s_addr = htonl(host);
    return true;
}

bool ipv6(std::string_view text, in6_addr &address)
{
    if (text.empty() || text.size() > 45) // 39 in canonical form; 45 with a dotted IPv4 tail
        return false;
    std::string copy(text);
    return inet_pton(AF_INET6, copy.c_str(), &address) == 1;
}

void store4(sockaddr_storage &storage, in_addr address, uint16_t port)
{
    auto &in = reinterpret_cast<sockaddr_in &>(storage);
    in.sin_family = AF_INET;
    in.sin_addr = address;
    in.sin_port = htons(port);
}

void store6(sockaddr_storage &storage, const in6_addr &address, uint16_t port)
{
    auto &in6 = reinterpret_cast<sockaddr_in6 &>(storage);
    in6.sin6_family = AF_INET6;
    in6.sin6_addr = address;
    in6.sin6_port = htons(port);
}

std::vector<std::string_view> fields(std::string_view line)
{
    std::vector<std::string_view> parts;
    for (;;) {
        size_t space = line.find(' ');
        parts.push_back(line.substr(0, space));
        if (space == std::string_view::npos)
            return parts;
        line.remove_prefix(space + 1);
    }
}

// "TCP4 src dst sport dport" (after "PROXY "), the line's CRLF excluded.
Header parseV1Line(std::string_view line, size_t length)
{
    std::vector<std::string_view> parts = fields(line);
    if (parts[0] == "UNKNOWN")
        return verdict(Verdict::Local, 1, length); // whatever follows is to be ignored (§2.1)
    if (parts[0] != "TCP4" && parts[0] != "TCP6")
        return invalid(1, "the PROXY v1 protocol is neither TCP4, TCP6 nor UNKNOWN");
    if (parts.size() != 5)
        return invalid(1, "a PROXY v1 line has five fields separated by single spaces");
    unsigned sourcePort = 0, destinationPort = 0;
    if (!decimal(parts[3], 65535, sourcePort) || !decimal(parts[4], 65535, destinationPort))
        return invalid(1, "a PROXY v1 port is not a decimal from 0 to 65535 without leading zeros");
    Header header = verdict(Verdict::Proxied, 1, length);
    if (parts[0] == "TCP4") {
        in_addr source{}, destination{};
        if (!ipv4(parts[1], source) || !ipv4(parts[2], destination))
            return invalid(1, "a PROXY v1 TCP4 address is not a dotted IPv4 address without leading zeros");
        store4(header.source, source, uint16_t(sourcePort));
        store4(header.destination, destination, uint16_t(destinationPort));
    } else {
        in6_addr source{}, destination{};
        if (!ipv6(parts[1], source) || !ipv6(parts[2], destination))
            return invalid(1, "a PROXY v1 TCP6 address is not an IPv6 address");
        store6(header.source, source, uint16_t(sourcePort));
        store6(header.destination, destination, uint16_t(destinationPort));
    }
    return header;
}

Header parseV1(std::span<const uint8_t> bytes)
{
    size_t limit = std::min(bytes.size(), MaxV1Line);
    for (size_t i = 0; i < limit; ++i) {
        bool cr = bytes[i] == '\r', lf = bytes[i] == '\n';
        if (lf)
            return invalid(1, "a PROXY v1 line ends with CRLF, not a bare LF");
        if (!cr && (bytes[i] < 0x20 || bytes[i] > 0x7E))
            return invalid(1, "a PROXY v1 line holds only printable US-ASCII");
        if (!cr)
            continue;
        if (i + 2 > MaxV1Line) // the CRLF itself must end within the 107 bytes
            break;
        if (i + 1 == bytes.size())
            return verdict(Verdict::NeedMore, 1);
        if (bytes[i + 1] != '\n')
            return invalid(1, "a PROXY v1 line ends with CRLF, not a bare CR");
        std::string_view line(reinterpret_cast<const char *>(bytes.data()), i);
        line.remove_prefix(V1Signature.size());
        return parseV1Line(line, i + 2);
    }
    if (bytes.size() >= MaxV1Line)
        return invalid(1, "a PROXY v1 line has no CRLF within its first 107 bytes");
    return verdict(Verdict::NeedMore, 1);
}

Header parseV2Addresses(std::span<const uint8_t> bytes, uint8_t family, size_t length)
{
    const uint8_t *block = bytes.data() + V2FixedSize;
    size_t blockSize = length - V2FixedSize;
    uint8_t addressFamily = family >> 4, transport = family & 0x0F;
    if ((addressFamily != 1 && addressFamily != 2) || transport == 0)
        return verdict(Verdict::Local, 2, length); // UNSPEC or UNIX: no client address to take (§2.2)
    if (transport == 2)
        return invalid(2, "the PROXY v2 header relays UDP, and Ferry runs over TCP");
    size_t addressSize = addressFamily == 1 ? 4 : 16;
    if (blockSize < 2 * addressSize + 4)
        return invalid(2, "the PROXY v2 header is shorter than the addresses its family needs");
    uint16_t sourcePort = uint16_t(block[2 * addressSize] << 8 | block[2 * addressSize + 1]);
    uint16_t destinationPort = uint16_t(block[2 * addressSize + 2] << 8 | block[2 * addressSize + 3]);
    Header header = verdict(Verdict::Proxied, 2, length);
    if (addressFamily == 1) {
        in_addr source{}, destination{};
        std::memcpy(&source, block, 4);
        std::memcpy(&destination, block + 4, 4);
        store4(header.source, source, sourcePort);
        store4(header.destination, destination, destinationPort);
    } else {
        in6_addr source{}, destination{};
        std::memcpy(&source, block, 16);
        std::memcpy(&destination, block + 16, 16);
        store6(header.source, source, sourcePort);
        store6(header.destination, destination, destinationPort);
    }
    return header; // TLVs after the addresses are skipped: Ferry uses none of them
}

Header parseV2(std::span<const uint8_t> bytes)
{
    if (bytes.size() < V2FixedSize)
        return verdict(Verdict::NeedMore, 2);
    uint8_t versionCommand = bytes[12], family = bytes[13];
    if (versionCommand >> 4 != 2)
        return invalid(2, "the PROXY v2 header names a version other than 2");
    uint8_t command = versionCommand & 0x0F;
    if (command > 1)
        return invalid(2, "the PROXY v2 command is neither LOCAL nor PROXY");
    if (family >> 4 > 3 || (family & 0x0F) > 2)
        return invalid(2, "the PROXY v2 address family or transport is not one the specification defines");
    size_t length = V2FixedSize + (size_t(bytes[14]) << 8 | bytes[15]);
    if (length > MaxHeaderSize)
        return invalid(2, "the PROXY v2 header is longer than the 4096 bytes this server accepts");
    if (bytes.size() < length)
        return verdict(Verdict::NeedMore, 2);
    if (command == 0)
        return verdict(Verdict::Local, 2, length); // a health check: the balancer itself is the peer
    return parseV2Addresses(bytes, family, length);
}

} // namespace

Header parse(std::span<const uint8_t> bytes)
{
    if (bytes.empty())
        return verdict(Verdict::NeedMore, 0);
    bytes = bytes.first(std::min(bytes.size(), MaxHeaderSize));
    auto v1 = std::span(reinterpret_cast<const uint8_t *>(V1Signature.data()), V1Signature.size());
    if (agrees(bytes, V2Signature))
        return bytes.size() < sizeof V2Signature ? verdict(Verdict::NeedMore, 2) : parseV2(bytes);
    if (agrees(bytes, v1))
        return bytes.size() < v1.size() ? verdict(Verdict::NeedMore, 1) : parseV1(bytes);
    return verdict(Verdict::Absent, 0);
}

} // namespace ferry::server::proxy
