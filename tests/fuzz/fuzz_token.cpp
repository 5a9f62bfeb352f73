// libFuzzer target: the parsers of server/access on arbitrary bytes. The first byte picks one ('0'..'3',
// the low two bits), the rest is its input:
//   0  a token's secret as AUTH presents it (hashOfSecret): accepted exactly when it is 43 characters of
//      URL-safe base64 whose 2 spare bits are zero, and then its hash is the SHA-256 of the 32 bytes an
//      independent decoder reads from it; sameHash() holds for it and fails for it with any bit changed;
//   1  a stored hash in hex (hashFromHex): accepted exactly when it is 64 lowercase hex digits, and hexOf()
//      spells it back as it was;
//   2  the token store's file (tokensFromJson): never throws; what it accepts it writes back (tokensToJson)
//      in a form that reads back to the same text, each scope in normal form and each id non-empty;
//   3  a path or subtree as a client or an administrator spells it (normalizeSubtree, locateInGrant,
//      namesTowardGrant, parseAnonymous): a normal form is its own normal form and holds no '.', '..',
//      empty component or NUL; a path located in a grant lies beneath one of its subtrees and holds no
//      '..'; a LIST on the way to it names only next steps toward a granted subtree; a parsed --anonymous
//      value is sorted, in normal form, and no subtree of it lies inside another.
// Seeds: tests/fuzz/token-seeds.
#include "access/grant.h"
#include "access/token_secret.h"
#include "access/token_store.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

using namespace ferry::server;

namespace {

[[noreturn]] void violated(const char *what)
{
    std::fprintf(stderr, "fuzz_token: %s\n", what);
    std::abort();
}

// RFC 4648 §5, bit by bit: a second reading of the spelling, written apart from token_secret.cpp's.
std::optional<std::array<uint8_t, 32>> referenceDecode(std::string_view text)
{
    static constexpr std::string_view Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    if (text.size() != 43)
        return std::nullopt;
    std::vector<unsigned> values;
    for (char c : text) {
        const size_t at = Alphabet.find(c);
        if (at == std::string_view::npos)
            return std::nullopt;
        values.push_back(unsigned(at));
    }
    if ((values.back() & 3) != 0) // 43 * 6 = 258 bits: the last 2 carry nothing and must be zero
        return std::nullopt;
    std::array<uint8_t, 32> bytes{};
    for (size_t bit = 0; bit < 256; ++bit)
        if ((values[bit / 6] >> (5 - bit % 6)) & 1)
            bytes[bit / 8] |= uint8_t(0x80 >> (bit % 8));
    return bytes;
}

void checkSecret(std::string_view text)
{
    const std::optional<SecretHash> hash = hashOfSecret(text);
    const std::optional<std::array<uint8_t, 32>> bytes = referenceDecode(text);
    if (hash.has_value() != bytes.has_value())
        violated(hash ? "a secret accepted that is not one's spelling" : "a secret's spelling refused");
    if (!hash)
        return;
    SecretHash expected{};
    unsigned int length = 0;
    EVP_Digest(bytes->data(), bytes->size(), expected.data(), &length, EVP_sha256(), nullptr);
    if (!sameHash(*hash, expected))
        violated("a secret's hash is not the SHA-256 of its 32 bytes");
    for (size_t bit = 0; bit < 8 * expected.size(); bit += 37) { // a spread of single-bit changes
        SecretHash other = expected;
        other[bit / 8] ^= uint8_t(1u << (bit % 8));
        if (sameHash(*hash, other))
            violated("sameHash() holds for hashes that differ");
    }
}

void checkHex(std::string_view text)
{
    const std::optional<SecretHash> hash = hashFromHex(text);
    const bool spelled = text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    });
    if (hash.has_value() != spelled)
        violated(hash ? "a hash accepted that is not 64 lowercase hex digits" : "64 lowercase hex digits refused");
    if (hash && hexOf(*hash) != text)
        violated("hexOf() does not spell a hash back as it was read");
}

void checkStore(const std::string &text)
{
    std::string error;
    const std::optional<std::vector<Token>> tokens = tokensFromJson(text, error);
    if (!tokens) {
        if (error.empty())
            violated("a store refused without a reason");
        return;
    }
    for (const Token &token : *tokens)
        if (token.id.empty() || normalizeSubtree(token.scope) != token.scope)
            violated("a store accepted with an empty id or a scope not in normal form");
    const std::string written = tokensToJson(*tokens);
    const std::optional<std::vector<Token>> again = tokensFromJson(written, error);
    if (!again || again->size() != tokens->size())
        violated("a store written back does not read back");
    if (tokensToJson(*again) != written)
        violated("a store written back reads back to other tokens");
}

// The non-empty components of a '/'-separated path.
std::vector<std::string_view> parts(std::string_view path)
{
    std::vector<std::string_view> out;
    for (size_t begin = 0; begin <= path.size();) {
        size_t end = std::min(path.find('/', begin), path.size());
        if (end > begin)
            out.push_back(path.substr(begin, end - begin));
        begin = end + 1;
    }
    return out;
}

// Grant's invariant (access/grant.h): subtrees in normal form, sorted, none inside another; none at all
// when the whole tree is granted.
void checkAnonymous(const std::string &text)
{
    std::string error;
    const std::optional<Grant> anonymous = parseAnonymous(text, error);
    if (!anonymous) {
        if (error.empty())
            violated("an --anonymous value refused without a reason");
        return;
    }
    const std::vector<std::string> &subtrees = anonymous->subtrees;
    if ((anonymous->wholeTree && !subtrees.empty()) || !std::is_sorted(subtrees.begin(), subtrees.end()))
        violated("a parsed --anonymous grant is not in its documented form");
    for (const std::string &inner : subtrees) {
        if (inner.empty() || normalizeSubtree(inner) != inner)
            violated("a parsed --anonymous subtree is not in normal form");
        for (const std::string &outer : subtrees) {
            const std::vector<std::string_view> a = parts(inner), b = parts(outer);
            if (&inner != &outer && a.size() >= b.size() && std::equal(b.begin(), b.end(), a.begin()))
                violated("a parsed --anonymous subtree lies inside another");
        }
    }
}

void checkGrant(const std::string &text)
{
    if (const std::optional<std::string> normal = normalizeSubtree(text)) {
        if (normalizeSubtree(*normal) != normal || normal->find('\0') != std::string::npos
            || normal->find("//") != std::string::npos || normal->starts_with('/') || normal->ends_with('/'))
            violated("a subtree's normal form is not normal");
        for (std::string_view part : parts(*normal))
            if (part == "." || part == "..")
                violated("a subtree's normal form holds '.' or '..'");
    }
    Grant grant;
    grant.subtrees = {"dir", "docs/2026"};
    if (const std::optional<GrantedPath> located = locateInGrant(grant, text)) {
        const std::vector<std::string_view> path = parts(text);
        if (text.find('\0') != std::string::npos || text.starts_with('/')
            || std::find(path.begin(), path.end(), "..") != path.end())
            violated("a path with NUL, a leading '/' or '..' located in a grant");
        const std::vector<std::string_view> subtree = parts(located->subtree);
        const bool granted =
            std::find(grant.subtrees.begin(), grant.subtrees.end(), located->subtree) != grant.subtrees.end();
        const bool beneath = path.size() >= subtree.size() && std::equal(subtree.begin(), subtree.end(), path.begin());
        if (!granted || !beneath)
            violated("a path located in a subtree it does not lie beneath");
    }
    if (const auto names = namesTowardGrant(grant, text)) {
        const std::vector<std::string_view> path = parts(text);
        for (const std::string &name : *names) {
            bool leads = false;
            for (const std::string &granted : grant.subtrees) {
                const std::vector<std::string_view> subtree = parts(granted);
                leads = leads
                    || (subtree.size() > path.size() && std::equal(path.begin(), path.end(), subtree.begin())
                        && subtree[path.size()] == name);
            }
            if (!leads)
                violated("a LIST on the way to a grant names something that leads nowhere granted");
        }
    }
    checkAnonymous(text);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const std::string input(reinterpret_cast<const char *>(data) + 1, size - 1);
    switch (data[0] & 3) {
    case 0: checkSecret(input); break;
    case 1: checkHex(input); break;
    case 2: checkStore(input); break;
    case 3: checkGrant(input); break;
    }
    return 0;
}
