// Edits the servers remembered by name, and connects to one of them.
#pragma once

#include "serverbook.h"

#include "client/ferryurl.h"

#include <QDialog>
#include <QList>

class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;
class QStackedWidget;

namespace ferry::gui {

class Settings;

// A list of names and the fields of the one selected. Changes are written to Settings
// when the dialog closes, whichever way. Import Link… adds a server from a ferry://
// link (with its folder, and the fp and token a capability link carries). An empty list says how
// to add a server, and where its mirrors go.
class ServersDialog : public QDialog
{
    Q_OBJECT
public:
    explicit ServersDialog(Settings *settings, QWidget *parent = nullptr);

    QList<ServerEntry> servers() const { return m_servers; }
    // Adds the server a link names and selects it; false with the reason shown if it is no link.
    bool importLink(const QString &link);

signals:
    // Connect was pressed: the server, with its folder as the path.
    void connectRequested(const ferry::client::FerryUrl &url);

protected:
    void done(int result) override;

private:
    QWidget *buildForm();
    void select(int row);
    void showEntry(int row);
    void storeField();
    void add();
    void askForLink();
    void removeCurrent();
    void connectCurrent();
    void updateButtons();
    QWidget *buildEmptyHint();

    Settings *m_settings;
    QList<ServerEntry> m_servers;
    QListWidget *m_list;
    QStackedWidget *m_listPages; // the list, or while it is empty a hint on how to fill it
    QWidget *m_emptyHint;
    QLineEdit *m_name;
    QLineEdit *m_address;
    QLineEdit *m_folder;
    QLineEdit *m_pin;
    QLineEdit *m_token;
    QLineEdit *m_mirrors;
    QLabel *m_error;
    QPushButton *m_remove;
    QPushButton *m_connect;
    bool m_showing = false; // filling the fields: their signals are not edits
};

} // namespace ferry::gui
