// Choosing a free file name: "name.ext" -> "name (1).ext", "name (2).ext", ...
#pragma once

#include <QString>

#include <functional>

namespace ferry::client {

// Splits off the extension at the first dot that is not the leading one, so that
// "a.tar.gz" becomes "a (1).tar.gz" and ".profile" becomes ".profile (1)".
QString numberedName(const QString &fileName, int number);

// `fileName` itself if `isTaken` says it is free, else the first free numberedName.
QString freeFileName(const QString &fileName, const std::function<bool(const QString &)> &isTaken);

} // namespace ferry::client
