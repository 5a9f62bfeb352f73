// Choosing a free file name: "name.ext" -> "name (1).ext", "name (2).ext", ...
#pragma once

#include <QString>

#include <functional>

namespace ferry::client {

// Splits off the extension at the last dot (one earlier for ".tar.*"), so that
// "ferry-1.0-x86_64.bin" becomes "ferry-1.0-x86_64 (1).bin", "a.tar.gz" becomes
// "a (1).tar.gz" and ".profile" becomes ".profile (1)".
QString numberedName(const QString &fileName, int number);

// `fileName` itself if `isTaken` says it is free, else the first free numberedName.
QString freeFileName(const QString &fileName, const std::function<bool(const QString &)> &isTaken);

} // namespace ferry::client

namespace ferry::client {

enum class ExistingFilePolicy;

// What a download does with its destination before fetching anything: the pure
// decision behind the existing-file policy (DownloadJob carries it out).
struct DestinationPlan {
    enum class Action {
        Write,         // download into `path` (free, or to be replaced at the end)
        Skip,          // leave the existing file; the job is done
        AdoptExisting, // the existing file becomes the .part, resumed by size
    };
    Action action = Action::Write;
    QString path;
    bool operator==(const DestinationPlan &) const = default;
};

DestinationPlan planDestination(const QString &path, ExistingFilePolicy policy,
                                const std::function<bool(const QString &)> &exists);

} // namespace ferry::client
