#include "ctl/audit_render.h"

#include "audit/audit_time.h"
#include "ctl/render.h"
#include "ctl/terminal_text.h"

#include <algorithm>
#include <array>

namespace ferry::ctl {

namespace {

using Row = std::array<std::string, 8>;

Row rowOf(const server::audit::Record &r)
{
    std::string time = server::audit::formatTime(r.timeMs); // "2026-12-01T12:35:40.786Z" -> "2026-12-01 12:35:40"
    time = time.substr(0, 10) + " " + time.substr(11, 8);
    std::string token = !r.tokenLabel.empty() ? r.tokenLabel : !r.tokenId.empty() ? r.tokenId : "-";
    std::string path = "/" + r.path;
    if (r.offset) // a range: where it starts and how much it covers ("…" = to the end)
        path += " @" + std::to_string(*r.offset) + "+" + (r.length ? std::to_string(*r.length) : "\u2026");
    // Peer, token, path and even request and result are as the file holds them, which anyone who can write
    // to it chose: shown terminal-safe, before the widths are measured.
    return {time, terminalText(r.peer), terminalText(token), terminalText(r.request), terminalText(r.result),
            humanBytes(int64_t(r.bytes)), std::to_string(r.durationMs), terminalText(path)};
}

} // namespace

std::string renderAuditTable(const std::vector<const AuditLine *> &lines)
{
    std::vector<Row> rows{{"TIME (UTC)", "PEER", "TOKEN", "REQUEST", "RESULT", "BYTES", "MS", "PATH"}};
    for (const AuditLine *line : lines)
        rows.push_back(rowOf(line->record));
    std::array<size_t, 8> widths{};
    for (const Row &row : rows)
        for (size_t i = 0; i < row.size(); ++i)
            widths[i] = std::max(widths[i], displayWidth(row[i]));
    std::string text;
    for (const Row &row : rows) {
        for (size_t i = 0; i < row.size(); ++i) {
            text += row[i];
            if (i + 1 < row.size())
                text.append(widths[i] - displayWidth(row[i]) + 2, ' ');
        }
        text.push_back('\n');
    }
    if (lines.empty())
        text += "(no matching records)\n";
    return text;
}

} // namespace ferry::ctl
