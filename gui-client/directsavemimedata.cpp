#include "directsavemimedata.h"

#include "xdndproperty.h"

#include <QDir>
#include <QFileInfo>
#include <QHostInfo>
#include <QUrl>

namespace ferry::gui {

bool DirectSaveMimeData::isAvailable()
{
    return xdnd::isX11();
}

DirectSaveMimeData::DirectSaveMimeData(const QString &name, Naming naming)
    : m_name(name)
    , m_naming(naming)
{
}

QStringList DirectSaveMimeData::formats() const
{
    announce();
    return QMimeData::formats() << QString::fromLatin1(Format);
}

// Once per drag: the name goes onto the source window before any target can see the drag. It
// ends in a NUL: PCManFM (libfm) reads the property as a C string, past its end without one;
// GTK's targets (Nautilus, Thunar) stop at the NUL all the same.
void DirectSaveMimeData::announce() const
{
    if (m_window != 0)
        return;
    const std::uint32_t window = xdnd::ownSelectionWindow();
    if (window != 0 && xdnd::setTextProperty(window, Format, m_name.toUtf8() + '\0'))
        m_window = window;
}

QVariant DirectSaveMimeData::retrieveData(const QString &mimeType, QMetaType type) const
{
    if (mimeType == QLatin1String(Format))
        return save();
    return QMimeData::retrieveData(mimeType, type);
}

// The target has replaced the property with its URI; queue the download and answer. Targets
// also ask while the drag moves (PCManFM does, with the name still there: that answers E), and
// may ask again after the drop: the download is queued once.
QByteArray DirectSaveMimeData::save() const
{
    if (m_saved)
        return QByteArrayLiteral("S");
    QString localPath;
    const Answer answer = check(xdnd::textProperty(m_window, Format), &localPath,
                                m_naming == Naming::Fixed ? m_name : QString());
    switch (answer) {
    case Answer::Saved:
        m_saved = true;
        emit const_cast<DirectSaveMimeData *>(this)->saveRequested(localPath);
        return QByteArrayLiteral("S");
    case Answer::Failed:
        return QByteArrayLiteral("F");
    case Answer::Error:
        return QByteArrayLiteral("E");
    }
    return QByteArrayLiteral("E");
}

// XDS: "E" when the URI is not a file here (the target then falls back to the other formats),
// "F" when it is, but cannot be written there (no such folder, not writable, no or another name,
// a NUL inside).
DirectSaveMimeData::Answer DirectSaveMimeData::check(const QByteArray &uri, QString *localPath,
                                                     const QString &fixedName)
{
    QByteArray text = uri;
    while (text.endsWith('\0')) // PCManFM (libfm) writes the C string's terminator too
        text.chop(1);
    if (text.contains('\0')) // no file name holds one, and a C path would end there
        return Answer::Failed;
    const QUrl url(QString::fromUtf8(text), QUrl::TolerantMode); // raw UTF-8 and %-escapes alike
    if (!url.isValid() || url.scheme() != QLatin1String("file"))
        return Answer::Error;
    const QString host = url.host();
    if (!host.isEmpty() && host != QLatin1String("localhost") && host != QHostInfo::localHostName())
        return Answer::Error;
    const QFileInfo file(url.path());
    if (!file.isAbsolute() || file.fileName().isEmpty())
        return Answer::Failed;
    if (!fixedName.isEmpty() && file.fileName() != fixedName)
        return Answer::Failed;
    const QFileInfo folder(file.absolutePath());
    if (!folder.isDir() || !folder.isWritable())
        return Answer::Failed;
    *localPath = QDir::cleanPath(file.filePath());
    return Answer::Saved;
}

} // namespace ferry::gui
