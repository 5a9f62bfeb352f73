// The form that makes an access token (token_create, docs/ADMIN.md §5.7), and the one place its link is
// shown afterwards: the secret exists only in that reply, so the second dialog says so and offers Copy.
#pragma once

#include <QDialog>
#include <QJsonObject>

class QComboBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace ferry::admingui {

class TokenDialog : public QDialog
{
    Q_OBJECT
public:
    explicit TokenDialog(QWidget *parent = nullptr);

    // The token_create request the form describes, or an empty object (with the reason shown in the
    // dialog) if a field does not parse.
    QJsonObject request();
    // Shows a refusal from the server under the form, leaving it open for a correction.
    void showError(const QString &message);

    void accept() override;

private:
    QLineEdit *m_path;
    QLineEdit *m_label;
    QComboBox *m_expires;
    QLineEdit *m_rate;
    QSpinBox *m_connections;
    QLineEdit *m_maxBytes;
    QLineEdit *m_host;
    QLabel *m_error;
};

// "Give this link to …": the capability link, read-only, with Copy.
class TokenLinkDialog : public QDialog
{
    Q_OBJECT
public:
    TokenLinkDialog(const QString &label, const QString &link, QWidget *parent = nullptr);
};

} // namespace ferry::admingui
