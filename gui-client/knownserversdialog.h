// Preferences → Known servers: the pins this user keeps (the known-servers file ferry-get shares), and
// Remove — the one way past a changed identity once its administrator confirmed the new one.
#pragma once

#include <QDialog>

class QPushButton;
class QTreeWidget;

namespace ferry::gui {

class KnownServersDialog : public QDialog
{
    Q_OBJECT
public:
    explicit KnownServersDialog(QWidget *parent = nullptr);

    // Removes the selected servers' pins (the Remove button).
    void removeSelected();

private:
    void reload();

    QTreeWidget *m_list;
    QPushButton *m_remove;
};

} // namespace ferry::gui
