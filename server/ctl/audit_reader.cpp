#include "ctl/audit_reader.h"

#include <cerrno>
#include <cstring>
#include <sys/stat.h>

namespace ferry::ctl {

namespace {

void take(AuditFile &out, std::string &line, size_t number, bool tooLong)
{
    if (line.empty() && !tooLong)
        return;
    std::string why = "longer than any audit line";
    if (!tooLong) {
        auto parsed = server::audit::parseLine(line);
        if (parsed.record) {
            out.lines.push_back({std::move(*parsed.record), std::move(line)});
            return;
        }
        why = parsed.error;
    }
    if (out.damaged++ == 0)
        out.firstDamage = "line " + std::to_string(number) + ": " + why;
}

} // namespace

AuditFile readAuditStream(std::FILE *file)
{
    AuditFile out;
    std::string line;
    bool tooLong = false;
    size_t number = 1;
    char buffer[64 * 1024];
    size_t got;
    while ((got = std::fread(buffer, 1, sizeof buffer, file)) > 0) {
        for (size_t i = 0; i < got; ++i) {
            if (buffer[i] == '\n') {
                take(out, line, number++, tooLong);
                line.clear();
                tooLong = false;
            } else if (line.size() < MaxReadLineBytes) {
                line.push_back(buffer[i]);
            } else {
                tooLong = true; // the rest of this line is dropped as it comes
            }
        }
    }
    take(out, line, number, tooLong); // a last line without its newline: parsed if whole, counted if not
    return out;
}

bool readAuditFile(const std::string &path, AuditFile &out, std::string &error)
{
    std::FILE *file = std::fopen(path.c_str(), "re");
    if (!file) {
        error = "cannot read the audit log " + path + ": " + std::strerror(errno);
        return false;
    }
    // fopen() opens a directory too, and every read of it then fails: without these checks a mistyped
    // --file would show "no matching records" instead of the reason.
    struct stat info {};
    if (::fstat(::fileno(file), &info) == 0 && S_ISDIR(info.st_mode)) {
        std::fclose(file);
        error = "cannot read the audit log " + path + ": " + std::strerror(EISDIR);
        return false;
    }
    out = readAuditStream(file);
    const bool failed = std::ferror(file) != 0;
    std::fclose(file);
    if (failed) {
        error = "cannot read the audit log " + path + ": a read failed (" + std::strerror(EIO) + ")";
        return false;
    }
    return true;
}

} // namespace ferry::ctl
