// Address ranges in CIDR notation ("10.0.0.0/8", "2001:db8::/32", "127.0.0.1"): the balancers that
// --trusted-proxies lets send a PROXY protocol header. Pure: text in, ranges out; an address in, yes or no.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <vector>

namespace ferry::server {

struct Cidr {
    sa_family_t family = AF_UNSPEC; // AF_INET or AF_INET6
    std::array<uint8_t, 16> bytes{}; // the network, in network byte order (4 bytes used for IPv4)
    unsigned prefix = 0;             // leading bits that must match: 0..32 or 0..128
};

// "ADDRESS/BITS" or a bare address (all bits). Nothing on a malformed one, or bits beyond the family's.
std::optional<Cidr> parseCidr(std::string_view text);
// Whether `address` (AF_INET or AF_INET6; an IPv4-mapped IPv6 address counts as its IPv4 one) lies in `range`.
bool cidrContains(const Cidr &range, const sockaddr_storage &address);
bool anyContains(const std::vector<Cidr> &ranges, const sockaddr_storage &address);
// "10.0.0.0/8", as given; the form ferry-server prints its settings in.
std::string formatCidr(const Cidr &range);

} // namespace ferry::server
