#include "access/token_store.h"

#include "access/grant.h"
#include "base/syscall.h"
#include "base/unique_fd.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <sys/stat.h>
#include <unistd.h>

namespace ferry::server {

namespace {

using Json = nlohmann::json;
constexpr int FormatVersion = 1;

Json toJson(const Token &token)
{
    return Json{{"id", token.id},
                {"label", token.label},
                {"scope", token.scope},
                {"sha256", hexOf(token.hash)},
                {"created_ns", token.createdNs},
                {"expires_ns", token.expiresAtNs},
                {"revoked_ns", token.revokedNs},
                {"rate", token.rate},
                {"max_connections", token.maxConnections},
                {"max_bytes", token.maxBytes},
                {"usage",
                 {{"bytes", token.usage.bytes},
                  {"requests", token.usage.requests},
                  {"last_used_ns", token.usage.lastUsedNs},
                  {"last_peer", token.usage.lastPeer}}}};
}

// The whole number at `key` if T holds it, else an exception. nlohmann's get<T>() would cast instead: a
// float beyond T is undefined behaviour, an integer beyond it wraps ("max_connections": 4294967296 is 0,
// unlimited), so a hand-edited store could quietly mean something else than it says.
template <typename T>
T wholeNumber(const Json &object, const char *key)
{
    const Json &value = object.at(key);
    if (value.is_number_unsigned() && value.get<uint64_t>() <= uint64_t(std::numeric_limits<T>::max()))
        return T(value.get<uint64_t>());
    if (value.is_number_integer() && !value.is_number_unsigned() && value.get<int64_t>() < 0
        && value.get<int64_t>() >= int64_t(std::numeric_limits<T>::min()))
        return T(value.get<int64_t>());
    throw std::invalid_argument(std::string("\"") + key + "\" is not a whole number this server can hold");
}

// Throws nlohmann's exceptions on a missing or mistyped field (caught by tokensFromJson).
Token fromJson(const Json &item)
{
    Token token;
    token.id = item.at("id").get<std::string>();
    token.label = item.at("label").get<std::string>();
    token.scope = item.at("scope").get<std::string>();
    std::optional<SecretHash> hash = hashFromHex(item.at("sha256").get<std::string>());
    std::optional<std::string> scope = normalizeSubtree(token.scope);
    if (!hash || !scope || *scope != token.scope || token.id.empty())
        throw std::invalid_argument("token " + token.id + " has a bad id, scope or sha256");
    token.hash = *hash;
    token.createdNs = wholeNumber<int64_t>(item, "created_ns");
    token.expiresAtNs = wholeNumber<int64_t>(item, "expires_ns");
    token.revokedNs = wholeNumber<int64_t>(item, "revoked_ns");
    token.rate = wholeNumber<uint64_t>(item, "rate");
    token.maxConnections = wholeNumber<uint32_t>(item, "max_connections");
    token.maxBytes = wholeNumber<uint64_t>(item, "max_bytes");
    const Json &usage = item.at("usage");
    token.usage.bytes = wholeNumber<uint64_t>(usage, "bytes");
    token.usage.requests = wholeNumber<uint64_t>(usage, "requests");
    token.usage.lastUsedNs = wholeNumber<int64_t>(usage, "last_used_ns");
    token.usage.lastPeer = usage.at("last_peer").get<std::string>();
    return token;
}

std::string directoryOf(const std::string &path)
{
    const size_t slash = path.rfind('/');
    return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

} // namespace

std::string tokensToJson(const std::vector<Token> &tokens)
{
    Json list = Json::array();
    for (const Token &token : tokens)
        list.push_back(toJson(token));
    return Json{{"version", FormatVersion}, {"tokens", list}}.dump(1) + "\n";
}

std::optional<std::vector<Token>> tokensFromJson(const std::string &text, std::string &error)
{
    try {
        const Json document = Json::parse(text);
        if (wholeNumber<int64_t>(document, "version") != FormatVersion) {
            error = "it is of another format version";
            return std::nullopt;
        }
        std::vector<Token> tokens;
        for (const Json &item : document.at("tokens"))
            tokens.push_back(fromJson(item));
        return tokens;
    } catch (const std::exception &problem) {
        error = problem.what();
        return std::nullopt;
    }
}

std::optional<TokenStore> TokenStore::load(const std::string &path, std::string &error)
{
    TokenStore store;
    store.m_path = path;
    UniqueFd fd(retryOnEintr([&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); }));
    if (!fd && errno == ENOENT)
        return store;
    std::string text;
    char buffer[8192];
    ssize_t got = -1;
    while (fd && (got = retryOnEintr([&] { return ::read(fd.get(), buffer, sizeof buffer); })) > 0)
        text.append(buffer, size_t(got));
    if (!fd || got < 0) {
        error = "cannot read the token store " + path + ": " + std::strerror(errno);
        return std::nullopt;
    }
    std::string why;
    std::optional<std::vector<Token>> tokens = tokensFromJson(text, why);
    if (!tokens) {
        error = "the token store " + path + " is damaged (" + why + "); restore it from a backup or move it away";
        return std::nullopt;
    }
    store.m_tokens = std::move(*tokens);
    return store;
}

const Token *TokenStore::find(const std::string &id) const
{
    for (const Token &token : m_tokens)
        if (token.id == id)
            return &token;
    return nullptr;
}

Token *TokenStore::find(const std::string &id)
{
    return const_cast<Token *>(static_cast<const TokenStore *>(this)->find(id));
}

std::optional<CreatedToken> TokenStore::create(const TokenRequest &request, int64_t nowWallNs, std::string &error)
{
    std::optional<std::string> scope = normalizeSubtree(request.scope);
    if (!scope || scope->size() > MaxTokenScope) {
        error = "the path must be a subtree of the root of at most 1024 bytes, without '.' or '..'";
        return std::nullopt;
    }
    if (request.label.size() > MaxTokenLabel || request.label.find('\0') != std::string::npos) {
        error = "the label must be at most 200 bytes of text";
        return std::nullopt;
    }
    if (m_tokens.size() >= MaxTokens) {
        error = "the store already holds 1024 tokens; remove revoked ones from " + m_path + " first";
        return std::nullopt;
    }
    std::optional<NewSecret> secret = makeSecret();
    std::optional<std::string> id = makeTokenId();
    while (id && find(*id))
        id = makeTokenId();
    if (!secret || !id) {
        error = "the system's random source failed";
        return std::nullopt;
    }
    Token token;
    token.id = *id;
    token.label = request.label;
    token.scope = *scope;
    token.hash = secret->hash;
    token.createdNs = nowWallNs;
    token.expiresAtNs = request.lifetimeNs > 0 ? nowWallNs + request.lifetimeNs : 0;
    token.rate = request.rate;
    token.maxConnections = request.maxConnections;
    token.maxBytes = request.maxBytes;
    m_tokens.push_back(token);
    return CreatedToken{std::move(token), std::move(secret->text)};
}

bool TokenStore::revoke(const std::string &id, int64_t nowWallNs)
{
    Token *token = find(id);
    if (!token)
        return false;
    if (!token->isRevoked())
        token->revokedNs = nowWallNs;
    return true;
}

int TokenStore::save() const
{
    const std::string text = tokensToJson(m_tokens);
    const std::string temporary = m_path + ".tmp";
    UniqueFd fd(retryOnEintr(
        [&] { return ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600); }));
    if (!fd)
        return errno;
    size_t written = 0;
    while (written < text.size()) {
        const ssize_t n = retryOnEintr([&] { return ::write(fd.get(), text.data() + written, text.size() - written); });
        if (n < 0) {
            const int error = errno;
            ::unlink(temporary.c_str());
            return error;
        }
        written += size_t(n);
    }
    if (::fsync(fd.get()) != 0 || ::rename(temporary.c_str(), m_path.c_str()) != 0) {
        const int error = errno;
        ::unlink(temporary.c_str());
        return error;
    }
    // The rename is durable only once the directory is: without this a crash could bring back the old file.
    UniqueFd directory(
        retryOnEintr([&] { return ::open(directoryOf(m_path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); }));
    if (!directory || ::fsync(directory.get()) != 0)
        return errno;
    return 0;
}

} // namespace ferry::server
