// A dragged remote file or folder that a file manager can save where it is dropped (XDS, X11 only).
#pragma once

#include <QMimeData>
#include <QString>

#include <cstdint>

namespace ferry::gui {

// The source side of the Direct Save Protocol (XDS 0.4, "XdndDirectSave0"), which Qt does not
// implement. A file manager cannot fetch a ferry:// link, so for a row dragged onto one of its
// folders it is told the row's name; on the drop it writes back the file:// URI where it wants
// it and asks the XdndSelection for XdndDirectSave0, and the answer ("S", "F" or "E") says
// whether the download was queued to exactly that path. The link stays as text, so dropping
// onto the transfer list or into a text field works as before; text/uri-list is left out by
// RemoteModel, as file managers would take it first.
//
// The protocol needs the drag's source window, which Qt does not name; it is the XdndSelection
// owner, and Qt takes that selection just before it first asks for formats(), so that is where
// the proposed name is put on the window.
class DirectSaveMimeData : public QMimeData
{
    Q_OBJECT
public:
    static constexpr char Format[] = "XdndDirectSave0";

    // Whether a drag can offer Direct Save here (on X11).
    static bool isAvailable();

    // What the target may name it: a file anything; a folder only its own name, because a
    // folder is mirrored under the name it has on the server (DownloadQueue::add).
    enum class Naming { Any, Fixed };

    // `name` is what the file manager proposes to the user (no folder part).
    explicit DirectSaveMimeData(const QString &name, Naming naming = Naming::Any);

    QString name() const { return m_name; }
    QStringList formats() const override;

    // What the answer to a target's URI is, and where the file goes: pure, for the tests.
    enum class Answer { Saved, Failed, Error };
    Q_ENUM(Answer)
    // `fixedName`, when given, is the only name accepted (Naming::Fixed).
    static Answer check(const QByteArray &uri, QString *localPath, const QString &fixedName = QString());

signals:
    // The file manager asked for the file at `localPath` (absolute, its folder exists).
    void saveRequested(const QString &localPath);

protected:
    QVariant retrieveData(const QString &mimeType, QMetaType type) const override;

private:
    void announce() const;
    QByteArray save() const;

    QString m_name;
    Naming m_naming;
    mutable std::uint32_t m_window = 0; // the drag's source window, once announced
    mutable bool m_saved = false;
};

} // namespace ferry::gui
