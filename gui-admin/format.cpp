#include "format.h"

#include <QLocale>

#include <array>
#include <cstdint>
#include <cmath>

namespace ferry::admingui {

QString formatBytes(qint64 bytes)
{
    if (bytes < 0)
        return QStringLiteral("–");
    static constexpr std::array<const char *, 6> Units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double value = double(bytes);
    size_t unit = 0;
    while (value >= 1024.0 && unit + 1 < Units.size()) {
        value /= 1024.0;
        ++unit;
    }
    if (unit == 0)
        return QStringLiteral("%1 B").arg(bytes);
    return QStringLiteral("%1 %2").arg(value, 0, 'f', value < 10 ? 2 : 1).arg(QLatin1String(Units[unit]));
}

namespace {

// offset + length, saturated: both come off the wire, where nothing stops a huge or negative figure.
qint64 rangeEnd(qint64 offset, qint64 length)
{
    if (offset < 0 || length < 0)
        return -1; // formatBytes() shows "–"
    return length > INT64_MAX - offset ? INT64_MAX : offset + length;
}

} // namespace

QString formatByteRange(qint64 offset, std::optional<qint64> length)
{
    const QString start = offset == 0 ? QStringLiteral("0") : formatBytes(offset); // "0 B" reads as a size
    if (!length)
        return start + QStringLiteral(" – end");
    return start + QStringLiteral(" – ") + formatBytes(rangeEnd(offset, *length));
}

QString formatExactByteRange(qint64 offset, std::optional<qint64> length)
{
    if (!length)
        return QStringLiteral("bytes %1 to the end").arg(offset);
    if (*length <= 0)
        return QStringLiteral("no bytes, at %1").arg(offset);
    return QStringLiteral("bytes %1–%2 (%3 bytes)").arg(offset).arg(rangeEnd(offset, *length - 1)).arg(*length);
}

QString formatRate(qint64 bytesPerSecond)
{
    return formatBytes(bytesPerSecond) + QStringLiteral("/s");
}

QString formatDuration(qint64 seconds)
{
    if (seconds < 0)
        return QStringLiteral("–");
    if (seconds < 60)
        return QStringLiteral("%1 s").arg(seconds);
    const auto pad = [](qint64 v) { return QStringLiteral("%1").arg(v, 2, 10, QLatin1Char('0')); };
    if (seconds < 3600)
        return QStringLiteral("%1 min %2 s").arg(seconds / 60).arg(pad(seconds % 60));
    if (seconds < 86400)
        return QStringLiteral("%1 h %2 min").arg(seconds / 3600).arg(pad(seconds % 3600 / 60));
    return QStringLiteral("%1 d %2 h").arg(seconds / 86400).arg(pad(seconds % 86400 / 3600));
}

QString formatLimit(qint64 bytesPerSecond)
{
    return bytesPerSecond <= 0 ? QStringLiteral("unlimited") : formatRate(bytesPerSecond);
}

QString formatRateInput(qint64 bytesPerSecond)
{
    if (bytesPerSecond <= 0)
        return QStringLiteral("unlimited");
    struct Unit {
        qint64 size;
        const char *name;
    };
    static constexpr Unit Units[] = {{qint64(1) << 30, "GiB"}, {qint64(1) << 20, "MiB"}, {qint64(1) << 10, "KiB"}};
    for (const Unit &unit : Units) {
        if (bytesPerSecond < unit.size)
            continue;
        // Up to two decimals, and only when they are exact: 1.5 MiB is 1572864 bytes, 1.17 MiB is not a
        // whole number of bytes and would come back as another rate.
        for (int decimals = 0; decimals <= 2; ++decimals) {
            const qint64 scale = decimals == 0 ? 1 : decimals == 1 ? 10 : 100;
            if (bytesPerSecond <= INT64_MAX / scale && bytesPerSecond * scale % unit.size == 0)
                return QStringLiteral("%1 %2/s")
                    .arg(double(bytesPerSecond) / double(unit.size), 0, 'f', decimals)
                    .arg(QLatin1String(unit.name));
        }
    }
    return QStringLiteral("%1 B/s").arg(bytesPerSecond);
}

std::optional<qint64> parseByteRate(const QString &text)
{
    QString t = text.trimmed();
    if (t.compare(QLatin1String("unlimited"), Qt::CaseInsensitive) == 0)
        return 0;
    if (t.endsWith(QLatin1String("/s")))
        t.chop(2);
    if (t.endsWith(QLatin1Char('B'), Qt::CaseInsensitive) && t.size() > 1 && !t.at(t.size() - 2).isDigit()) {
        t.chop(1); // "1MB" and "1 MiB" read like "1M"
        if (t.endsWith(QLatin1Char('i')))
            t.chop(1);
    }
    t = t.trimmed();
    if (t.isEmpty())
        return std::nullopt;
    double scale = 1.0;
    const QChar suffix = t.back().toLower();
    if (suffix == QLatin1Char('k') || suffix == QLatin1Char('m') || suffix == QLatin1Char('g')) {
        scale = suffix == QLatin1Char('k') ? 1024.0 : suffix == QLatin1Char('m') ? 1048576.0 : 1073741824.0;
        t.chop(1);
    }
    bool ok = false;
    const double value = t.trimmed().toDouble(&ok);
    if (!ok || value < 0 || !std::isfinite(value) || value * scale > 9.0e18)
        return std::nullopt;
    return qint64(std::llround(value * scale));
}

QString formatTlsVersion(const QString &wire)
{
    static const QLatin1String openSslPrefix("TLSv");
    return wire.startsWith(openSslPrefix) ? QStringLiteral("TLS ") + wire.mid(openSslPrefix.size()) : wire;
}

} // namespace ferry::admingui
