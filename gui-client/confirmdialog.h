// "Are you sure?" for actions that cannot be undone, with "Don't ask again".
#pragma once

#include <QDialog>

class QCheckBox;

namespace ferry::gui {

// A question, one optional choice that goes with it (such as "Also delete the partial
// file"), and "Don't ask again"; the caller remembers both in Settings. Its widgets
// have object names (deletePartialCheck is the option's, dontAskCheck, and the
// buttons' roles are the standard ones) so that tests can answer it from a timer.
class ConfirmDialog : public QDialog
{
    Q_OBJECT
public:
    ConfirmDialog(const QString &question, const QString &detail, const QString &acceptText,
                  QWidget *parent = nullptr);

    // Shows the option; `name` is its object name.
    void setOption(const QString &text, bool checked, const QString &name);
    bool isOptionChecked() const;
    bool dontAskAgain() const;

private:
    QCheckBox *m_option;
    QCheckBox *m_dontAsk;
    bool m_hasOption = false;
};

} // namespace ferry::gui
