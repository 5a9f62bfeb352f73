// Icons for remote entries, by type, from the icon theme or the style.
#pragma once

#include <QHash>
#include <QIcon>
#include <QString>

namespace ferry::gui {

// Remote files do not exist locally, so the type comes from the name (the MIME
// database matches the extension) and the icon from the theme, falling back to the
// style's generic file and folder icons. Cached per suffix: a listing of 100,000
// files asks for few distinct icons.
class FileIcons
{
public:
    QIcon folderIcon();
    QIcon fileIcon(const QString &name);

private:
    QIcon m_folder;
    QIcon m_file;
    QHash<QString, QIcon> m_bySuffix;
};

} // namespace ferry::gui
