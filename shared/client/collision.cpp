#include "collision.h"

namespace ferry::client {

namespace {

// Where the extension starts: at the last dot, so that a version's dots stay in the
// name ("ferry-1.0-x86_64.bin"), or one dot earlier for a compressed tar ("a.tar.gz").
// A leading dot belongs to the name (".profile"), not to an extension.
qsizetype extensionStart(const QString &fileName)
{
    const qsizetype last = fileName.lastIndexOf(u'.');
    if (last <= 0)
        return -1;
    const qsizetype before = fileName.lastIndexOf(u'.', last - 1);
    if (before > 0
        && QStringView(fileName).mid(before + 1, last - before - 1).compare(u"tar", Qt::CaseInsensitive) == 0)
        return before;
    return last;
}

} // namespace

QString numberedName(const QString &fileName, int number)
{
    const qsizetype dot = extensionStart(fileName);
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

#include "clienttypes.h"

#include <QDir>
#include <QFileInfo>

namespace ferry::client {

DestinationPlan planDestination(const QString &path, ExistingFilePolicy policy,
                                const std::function<bool(const QString &)> &exists)
{
    if (!exists(path))
        return {DestinationPlan::Action::Write, path};
    switch (policy) {
    case ExistingFilePolicy::Rename: {
        const QFileInfo info(path);
        const QDir dir = info.dir();
        const QString name =
            freeFileName(info.fileName(), [&](const QString &candidate) { return exists(dir.filePath(candidate)); });
        return {DestinationPlan::Action::Write, dir.filePath(name)};
    }
    case ExistingFilePolicy::Overwrite: return {DestinationPlan::Action::Write, path};
    case ExistingFilePolicy::Skip: return {DestinationPlan::Action::Skip, path};
    case ExistingFilePolicy::Resume: return {DestinationPlan::Action::AdoptExisting, path};
    }
    return {DestinationPlan::Action::Write, path};
}

} // namespace ferry::client
