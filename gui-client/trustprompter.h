// What the Downloader says when a server's identity needs a person: at first contact, a question
// (Trust / Cancel) with the fingerprint and where the administrator finds theirs; when a pinned
// identity changed, a loud warning with no way to go on from it (only Preferences → Known servers,
// removing the entry, lets that server through). The engine reports both through ServerTrust.
#pragma once

#include <QObject>
#include <QString>

class QMessageBox;
class QWidget;

namespace ferry::gui {

class TrustPrompter : public QObject
{
    Q_OBJECT
public:
    // Dialogs are shown over `window`.
    explicit TrustPrompter(QWidget *window);

    // The dialogs themselves (not shown), for the prompter and for tests and screenshots.
    static QMessageBox *makeFirstContactBox(QWidget *parent, const QString &server, const QString &fingerprint);
    static QMessageBox *makeChangedBox(QWidget *parent, const QString &server, const QString &pinned,
                                       const QString &presented);

signals:
    // The user trusted `server` (it is pinned now): connections to it may be retried.
    void trusted(const QString &server);

private:
    void onUnknown(const QString &server, const QString &fingerprint);
    void onChanged(const QString &server, const QString &pinned, const QString &presented);

    QWidget *m_window;
    QString m_asking; // the server whose question is open: one dialog however many connections failed
    QString m_warned; // the server whose warning is open
};

} // namespace ferry::gui
