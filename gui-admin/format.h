// Human-readable numbers for the admin window, and the parser for typed-in byte rates.
#pragma once

#include <QString>

#include <optional>

namespace ferry::admingui {

// 1536 -> "1.5 KiB"; negative -> "–" (the server reports -1 for what it could not read).
QString formatBytes(qint64 bytes);
// A range of a file as a person reads it, from where it starts to where it ends, in formatBytes()' units:
// offset 0 and length 4194304 -> "0 – 4.00 MiB"; 1048576 with no length (to the end) -> "1.00 MiB – end".
QString formatByteRange(qint64 offset, std::optional<qint64> length);
// The same range exactly, as the audit log has it: "bytes 0–4194303 (4194304 bytes)", "bytes 1048576 to
// the end", "no bytes, at 1000" for a length of 0.
QString formatExactByteRange(qint64 offset, std::optional<qint64> length);
// Bytes per second: "2.0 MiB/s"; 0 -> "0 B/s".
QString formatRate(qint64 bytesPerSecond);
// Seconds: "42 s", "3 min 07 s", "2 h 05 min", "3 d 04 h".
QString formatDuration(qint64 seconds);
// Rate limits as the server reports them: 0 -> "unlimited".
QString formatLimit(qint64 bytesPerSecond);
// OpenSSL's protocol name ("TLSv1.3") the way the apps write it everywhere else ("TLS 1.3").
QString formatTlsVersion(const QString &wire);
// A rate limit for an input field, as a person would type it and exact, so that applying the field
// again changes nothing: "1 MiB/s", "1.5 MiB/s", "750 KiB/s", "1234567 B/s"; 0 -> "unlimited".
QString formatRateInput(qint64 bytesPerSecond);
// "1048576", "512k", "1M", "1.5G" (powers of 1024, as ferry-ctl accepts), "1 MiB/s" (what
// formatRateInput() writes); "0" and "unlimited" = unlimited. nullopt for anything else, including
// negative values.
std::optional<qint64> parseByteRate(const QString &text);

} // namespace ferry::admingui
