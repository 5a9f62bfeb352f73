// Preferences: where downloads go, how many run at once, what to do with existing files.
#pragma once

#include <QDialog>

class QCheckBox;
class QComboBox;
class QLineEdit;
class QSpinBox;

namespace ferry::gui {

class Settings;

// Edits a copy of the values; apply() writes them to Settings when the dialog is
// accepted. The window then applies them to the queue.
class PreferencesDialog : public QDialog
{
    Q_OBJECT
public:
    explicit PreferencesDialog(Settings *settings, QWidget *parent = nullptr);

    void apply();

private:
    void chooseFolder();

    Settings *m_settings;
    QLineEdit *m_folder;
    QSpinBox *m_concurrent;
    QSpinBox *m_speedLimit;
    QComboBox *m_policy;
    QCheckBox *m_tray;
};

} // namespace ferry::gui
