#include "collision.h"

namespace ferry::client {

QString numberedName(const QString &fileName, int number)
{
    // A leading dot belongs to the name (".profile"), not to an extension.
    const qsizetype dot = fileName.indexOf(u'.', 1);
    const QString tag = QStringLiteral(" (%1)").arg(number);
    if (dot < 0)
        return fileName + tag;
    return fileName.left(dot) + tag + fileName.mid(dot);
}

QString freeFileName(const QString &fileName, const std::function<bool(const QString &)> &isTaken)
{
    if (!isTaken(fileName))
        return fileName;
    // Bounded so that a predicate that always says "taken" cannot hang the caller.
    for (int number = 1; number < 100000; ++number) {
        const QString candidate = numberedName(fileName, number);
        if (!isTaken(candidate))
            return candidate;
    }
    return numberedName(fileName, 100000);
}

} // namespace ferry::client
