#include "audit/audit_record.h"

#include "audit/audit_time.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>

namespace ferry::server::audit {

namespace {

using Json = nlohmann::ordered_json; // fields in the order a person reads them: time first

Json toJson(const Record &record, const std::string &path)
{
    Json line;
    line["time"] = formatTime(record.timeMs);
    line["request"] = record.request;
    line["peer"] = record.peer;
    line["token_id"] = record.tokenId;
    line["token_label"] = record.tokenLabel;
    line["path"] = path;
    if (record.pathTruncated)
        line["path_truncated"] = true;
    line["offset"] = record.offset ? Json(*record.offset) : Json(nullptr);
    line["length"] = record.length ? Json(*record.length) : Json(nullptr);
    line["bytes"] = record.bytes;
    line["result"] = record.result;
    line["duration_ms"] = record.durationMs;
    line["tls"] = record.tls;
    return line;
}

std::string dump(const Json &line)
{
    // replace: a file name that is not UTF-8 is written with U+FFFD rather than throwing.
    return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + '\n';
}

// The longest prefix of `text` of at most `size` bytes that does not end inside a UTF-8 sequence.
std::string utf8Prefix(const std::string &text, size_t size)
{
    if (size >= text.size())
        return text;
    while (size > 0 && (uint8_t(text[size]) & 0xC0) == 0x80)
        --size; // text[size] continues a sequence: cut before its lead byte
    return text.substr(0, size);
}

std::string formatEscaped(const Record &record)
{
    std::string line = dump(toJson(record, record.path));
    if (line.size() <= MaxLineBytes)
        return line;
    // Escapes make a path's JSON up to six times its bytes, so how much fits is found by bisection: the
    // longest prefix whose line fits. About a dozen dumps, and only for paths near the protocol's 4096 bytes.
    Record marked = record;
    marked.pathTruncated = true;
    auto cutAt = [&](size_t keep) { return dump(toJson(marked, utf8Prefix(record.path, keep) + "\u2026")); };
    size_t fits = 0, tooLong = record.path.size(); // invariant: cutAt(fits) fits (the fixed fields are short)
    while (tooLong - fits > 1) {
        const size_t middle = fits + (tooLong - fits) / 2;
        (cutAt(middle).size() <= MaxLineBytes ? fits : tooLong) = middle;
    }
    return cutAt(fits); // "…" marks the cut
}

// The bytes a JSON string holds as they are: printable ASCII but the quote and the backslash. A record whose
// texts are all plain (nearly every one: paths, addresses and codes are ASCII) is written directly; the
// others go through the JSON library, which escapes and replaces what is not UTF-8. Both give the same bytes.
bool isPlain(std::string_view text)
{
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return c >= 0x20 && c <= 0x7E && c != '"' && c != '\\'; });
}

void appendField(std::string &out, std::string_view key, std::string_view text)
{
    out += ",\"";
    out += key;
    out += "\":\"";
    out += text;
    out += '"';
}

void appendField(std::string &out, std::string_view key, std::optional<uint64_t> count)
{
    out += ",\"";
    out += key;
    out += "\":";
    if (!count) {
        out += "null";
        return;
    }
    char digits[24];
    out.append(digits, std::to_chars(digits, digits + sizeof digits, *count).ptr);
}

// The line of a record whose texts are all plain and short, appended to `out`; false (nothing appended) for
// any other record.
bool appendPlainLine(const Record &record, std::string &out)
{
    const std::string_view texts[] = {record.request, record.peer,   record.tokenId, record.tokenLabel,
                                      record.path,    record.result, record.tls};
    // Field names, a time, five counts and the punctuation take under 300 bytes.
    constexpr size_t FixedBytes = 300;
    size_t textBytes = 0;
    for (std::string_view text : texts) {
        if (!isPlain(text))
            return false;
        textBytes += text.size();
    }
    if (textBytes + FixedBytes > MaxLineBytes)
        return false;
    out += "{\"time\":\"";
    appendTime(record.timeMs, out);
    out += '"';
    appendField(out, "request", record.request);
    appendField(out, "peer", record.peer);
    appendField(out, "token_id", record.tokenId);
    appendField(out, "token_label", record.tokenLabel);
    appendField(out, "path", record.path);
    if (record.pathTruncated)
        out += ",\"path_truncated\":true";
    appendField(out, "offset", record.offset);
    appendField(out, "length", record.length);
    appendField(out, "bytes", record.bytes);
    appendField(out, "result", record.result);
    appendField(out, "duration_ms", record.durationMs);
    appendField(out, "tls", record.tls);
    out += "}\n";
    return true;
}

} // namespace

void appendLine(const Record &record, std::string &out)
{
    if (!appendPlainLine(record, out))
        out += formatEscaped(record);
}

std::string formatLine(const Record &record)
{
    std::string line;
    appendLine(record, line);
    return line;
}

namespace {

bool readText(const Json &object, const char *key, std::string &out, std::string &error)
{
    auto it = object.find(key);
    if (it == object.end() || !it->is_string()) {
        error = std::string("the field \"") + key + "\" is missing or not a string";
        return false;
    }
    out = it->get<std::string>();
    return true;
}

bool readCount(const Json &object, const char *key, std::optional<uint64_t> &out, bool nullable,
               std::string &error)
{
    auto it = object.find(key);
    if (it != object.end() && it->is_number_unsigned()) {
        out = it->get<uint64_t>();
        return true;
    }
    if (it != object.end() && nullable && it->is_null()) {
        out.reset();
        return true;
    }
    error = std::string("the field \"") + key + "\" is missing or not a count";
    return false;
}

bool readRecord(const Json &object, Record &record, std::string &error)
{
    std::string time;
    std::optional<uint64_t> bytes, duration;
    if (!readText(object, "time", time, error) || !readText(object, "request", record.request, error)
        || !readText(object, "peer", record.peer, error) || !readText(object, "token_id", record.tokenId, error)
        || !readText(object, "token_label", record.tokenLabel, error) || !readText(object, "path", record.path, error)
        || !readCount(object, "offset", record.offset, true, error)
        || !readCount(object, "length", record.length, true, error) || !readCount(object, "bytes", bytes, false, error)
        || !readText(object, "result", record.result, error)
        || !readCount(object, "duration_ms", duration, false, error) || !readText(object, "tls", record.tls, error))
        return false;
    auto when = parseTime(time);
    if (!when) {
        error = "the time \"" + time + "\" is not an RFC 3339 UTC time";
        return false;
    }
    record.timeMs = *when;
    record.bytes = *bytes;
    record.durationMs = *duration;
    auto truncated = object.find("path_truncated");
    record.pathTruncated = truncated != object.end() && truncated->is_boolean() && truncated->get<bool>();
    return true;
}

} // namespace

ParsedLine parseLine(std::string_view line)
{
    if (!line.empty() && line.back() == '\n')
        line.remove_suffix(1);
    ParsedLine parsed;
    // allow_exceptions = false: garbage gives a discarded value, never a throw.
    Json object = Json::parse(line.begin(), line.end(), nullptr, false);
    if (object.is_discarded()) {
        parsed.error = "not a complete JSON object (a truncated or damaged line)";
        return parsed;
    }
    if (!object.is_object()) {
        parsed.error = "not a JSON object";
        return parsed;
    }
    Record record;
    if (readRecord(object, record, parsed.error))
        parsed.record = std::move(record);
    return parsed;
}

} // namespace ferry::server::audit
