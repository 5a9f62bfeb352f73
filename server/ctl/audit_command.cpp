// CLI11 throws while it parses: see command_line.cpp.
#include "ctl/audit_command.h"

#include "audit/audit_time.h"
#include "ctl/admin_client.h"
#include "ctl/audit_reader.h"
#include "ctl/audit_render.h"
#include "ctl/command_line.h"
#include "ctl/terminal_json.h"
#include "tls/state_dir.h"

#include <CLI/CLI.hpp>

#include <cstdio>

namespace ferry::ctl {

void addAuditCommand(CLI::App &app, Command &command)
{
    CLI::App *audit = app.add_subcommand(
        "audit", "Who fetched what: the server's audit log, filtered (read from the file; no server needed).");
    AuditQuery &query = command.audit;
    audit->add_option("--file", query.file, "the audit log (default: audit.log in the default state directory)");
    audit->add_option_function<std::string>(
             "--since",
             [&query](const std::string &text) {
                 query.sinceMs = parseSince(text, server::audit::wallClockMs());
                 if (!query.sinceMs)
                     throw CLI::ValidationError("--since", "'" + text + "' is neither a duration such as 30m, 1h "
                                                "or 7d nor a UTC time such as 2026-12-01T12:00:00Z");
             },
             "only records from this long ago (30m, 1h, 7d) or this UTC time on")
        ->type_name("WHEN");
    audit->add_option("--path", query.path, "only this path and what is below it")->type_name("P");
    audit->add_option("--token", query.token, "only requests made with this token id")->type_name("ID");
    audit->add_option("--peer", query.peer, "only this client: an address, or address:port")->type_name("ADDR");
    audit->add_flag("--json", query.json, "print the matching lines as they are (JSON Lines)");
    audit->preparse_callback([&command](std::size_t) { command.kind = Command::Kind::Audit; });
}

namespace {

// Reads `path` into `lines`; counts what was skipped. False (reported) if it cannot be read.
bool readInto(const std::string &path, AuditFile &file)
{
    std::string error;
    if (!readAuditFile(path, file, error)) {
        std::fprintf(stderr, "ferry-ctl: %s\n", error.c_str());
        return false;
    }
    if (file.damaged > 0)
        std::fprintf(stderr, "ferry-ctl: skipped %zu damaged line%s in %s (%s)\n", file.damaged,
                     file.damaged == 1 ? "" : "s", path.c_str(), file.firstDamage.c_str());
    return true;
}

} // namespace

int runAudit(const AuditQuery &query)
{
    const std::string path = query.file.empty() ? server::tls::defaultStateDir() + "/audit.log" : query.file;
    AuditFile current, rotated;
    if (!readInto(path, current))
        return Exit::Protocol;
    // The rotated file holds what came before: worth reading only if --since reaches back past this one.
    const bool reachesBack =
        query.sinceMs && (current.lines.empty() || current.lines.front().record.timeMs > *query.sinceMs);
    std::string error;
    if (reachesBack && readAuditFile(path + ".1", rotated, error) && rotated.damaged > 0)
        std::fprintf(stderr, "ferry-ctl: skipped %zu damaged line(s) in %s.1 (%s)\n", rotated.damaged, path.c_str(),
                     rotated.firstDamage.c_str());
    std::vector<const AuditLine *> selected;
    for (const AuditFile *file : {&rotated, &current})
        for (const AuditLine &line : file->lines)
            if (matches(query, line.record))
                selected.push_back(&line);
    if (query.json) {
        for (const AuditLine *line : selected) // as written, but with no C1 control left raw
            std::printf("%s\n", terminalJsonText(line->text).c_str());
    } else {
        const std::string table = renderAuditTable(selected);
        std::fwrite(table.data(), 1, table.size(), stdout);
    }
    return Exit::Ok;
}

} // namespace ferry::ctl
