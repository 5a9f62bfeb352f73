#include "fileicons.h"

#include <QApplication>
#include <QFileInfo>
#include <QMimeDatabase>
#include <QStyle>

namespace ferry::gui {

QIcon FileIcons::folderIcon()
{
    if (m_folder.isNull())
        m_folder = QIcon::fromTheme(QStringLiteral("folder"), QApplication::style()->standardIcon(QStyle::SP_DirIcon));
    return m_folder;
}

QIcon FileIcons::fileIcon(const QString &name)
{
    if (m_file.isNull())
        m_file = QIcon::fromTheme(QStringLiteral("text-x-generic"),
                                  QApplication::style()->standardIcon(QStyle::SP_FileIcon));
    const QString suffix = QFileInfo(name).suffix().toLower();
    if (suffix.isEmpty())
        return m_file;
    auto cached = m_bySuffix.constFind(suffix);
    if (cached != m_bySuffix.constEnd())
        return *cached;
    const QMimeType type = QMimeDatabase().mimeTypeForFile(name, QMimeDatabase::MatchExtension);
    QIcon icon = QIcon::fromTheme(type.iconName(), QIcon::fromTheme(type.genericIconName(), m_file));
    m_bySuffix.insert(suffix, icon);
    return icon;
}

} // namespace ferry::gui
