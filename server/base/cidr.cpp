#include "base/cidr.h"

#include <arpa/inet.h>
#include <cstring>
#include <netinet/in.h>

namespace ferry::server {

namespace {

// The address as bytes of its family; an IPv4-mapped IPv6 address (a dual-stack listener's view of an
// IPv4 client) as the IPv4 address it maps, so "10.0.0.0/8" matches it.
sa_family_t addressBytes(const sockaddr_storage &address, std::array<uint8_t, 16> &bytes)
{
    if (address.ss_family == AF_INET) {
        std::memcpy(bytes.data(), &reinterpret_cast<const sockaddr_in &>(address).sin_addr, 4);
        return AF_INET;
    }
    if (address.ss_family != AF_INET6)
        return AF_UNSPEC;
    const in6_addr &in6 = reinterpret_cast<const sockaddr_in6 &>(address).sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&in6)) {
        std::memcpy(bytes.data(), in6.s6_addr + 12, 4);
        return AF_INET;
    }
    std::memcpy(bytes.data(), in6.s6_addr, 16);
    return AF_INET6;
}

} // namespace

std::optional<Cidr> parseCidr(std::string_view text)
{
    size_t slash = text.find('/');
    std::string host(text.substr(0, slash));
    Cidr range;
    if (inet_pton(AF_INET, host.c_str(), range.bytes.data()) == 1)
        range.family = AF_INET;
    else if (inet_pton(AF_INET6, host.c_str(), range.bytes.data()) == 1)
        range.family = AF_INET6;
    else
        return std::nullopt;
    const unsigned maxBits = range.family == AF_INET ? 32 : 128;
    range.prefix = maxBits;
    if (slash != std::string_view::npos) {
        std::string_view bits = text.substr(slash + 1);
        if (bits.empty() || bits.size() > 3)
            return std::nullopt;
        range.prefix = 0;
        for (char c : bits) {
            if (c < '0' || c > '9')
                return std::nullopt;
            range.prefix = range.prefix * 10 + unsigned(c - '0');
        }
        if (range.prefix > maxBits)
            return std::nullopt;
    }
    return range;
}

bool cidrContains(const Cidr &range, const sockaddr_storage &address)
{
    std::array<uint8_t, 16> bytes{};
    if (addressBytes(address, bytes) != range.family)
        return false;
    const unsigned whole = range.prefix / 8, rest = range.prefix % 8;
    if (std::memcmp(bytes.data(), range.bytes.data(), whole) != 0)
        return false;
    if (rest == 0)
        return true;
    const uint8_t mask = uint8_t(0xFF << (8 - rest));
    return (bytes[whole] & mask) == (range.bytes[whole] & mask);
}

bool anyContains(const std::vector<Cidr> &ranges, const sockaddr_storage &address)
{
    for (const Cidr &range : ranges)
        if (cidrContains(range, address))
            return true;
    return false;
}

std::string formatCidr(const Cidr &range)
{
    char text[INET6_ADDRSTRLEN] = "";
    inet_ntop(range.family, range.bytes.data(), text, sizeof text);
    return std::string(text) + "/" + std::to_string(range.prefix);
}

} // namespace ferry::server
