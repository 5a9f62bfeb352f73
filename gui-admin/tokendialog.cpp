#include "tokendialog.h"

#include "format.h"

#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace ferry::admingui {

namespace {

QLineEdit *field(const QString &name, const QString &placeholder, QWidget *parent)
{
    auto *edit = new QLineEdit(parent);
    edit->setObjectName(name);
    edit->setPlaceholderText(placeholder);
    return edit;
}

} // namespace

TokenDialog::TokenDialog(QWidget *parent)
    : QDialog(parent)
    , m_path(field(QStringLiteral("tokenPath"), tr("/ (the whole tree)"), this))
    , m_label(field(QStringLiteral("tokenLabel"), tr("who or what it is for"), this))
    , m_expires(new QComboBox(this))
    , m_rate(field(QStringLiteral("tokenRate"), tr("unlimited (e.g. 10M)"), this))
    , m_connections(new QSpinBox(this))
    , m_maxBytes(field(QStringLiteral("tokenMaxBytes"), tr("unlimited (e.g. 50G)"), this))
    , m_host(field(QStringLiteral("tokenHost"), tr("the server's own name"), this))
    , m_error(new QLabel(this))
{
    setWindowTitle(tr("New Access Token"));
    m_expires->setObjectName(QStringLiteral("tokenExpires"));
    const std::pair<QString, int> choices[] = {{tr("Never"), 0},          {tr("In 1 hour"), 3600},
                                               {tr("In 1 day"), 86400},   {tr("In 7 days"), 7 * 86400},
                                               {tr("In 30 days"), 30 * 86400}, {tr("In 1 year"), 365 * 86400}};
    for (const auto &[text, seconds] : choices)
        m_expires->addItem(text, seconds);
    m_expires->setCurrentIndex(3);
    m_connections->setObjectName(QStringLiteral("tokenConnections"));
    m_connections->setRange(0, 100000);
    m_connections->setSpecialValueText(tr("unlimited"));
    m_error->setObjectName(QStringLiteral("tokenError"));
    m_error->setWordWrap(true);
    m_error->setStyleSheet(QStringLiteral("color: palette(highlight)"));
    m_error->hide();

    auto *form = new QFormLayout;
    form->addRow(tr("&Grants folder:"), m_path);
    form->addRow(tr("&Label:"), m_label);
    form->addRow(tr("&Expires:"), m_expires);
    form->addRow(tr("&Rate (all its connections):"), m_rate);
    form->addRow(tr("&Connections at once:"), m_connections);
    form->addRow(tr("&Total bytes:"), m_maxBytes);
    form->addRow(tr("Link &names host:"), m_host);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("&Create"));
    connect(buttons, &QDialogButtonBox::accepted, this, &TokenDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &TokenDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_error);
    layout->addWidget(buttons);
}

QJsonObject TokenDialog::request()
{
    QJsonObject request{{"cmd", "token_create"}};
    request["path"] = m_path->text().trimmed();
    request["label"] = m_label->text().trimmed();
    request["expires_s"] = m_expires->currentData().toInt();
    const std::optional<qint64> rate = parseByteRate(m_rate->text().isEmpty() ? QStringLiteral("0") : m_rate->text());
    if (!rate) {
        showError(tr("The rate “%1” is not a number of bytes per second (e.g. 10M).").arg(m_rate->text()));
        return {};
    }
    const std::optional<qint64> bytes =
        parseByteRate(m_maxBytes->text().isEmpty() ? QStringLiteral("0") : m_maxBytes->text());
    if (!bytes) {
        showError(tr("The total “%1” is not a number of bytes (e.g. 50G).").arg(m_maxBytes->text()));
        return {};
    }
    request["rate"] = *rate;
    request["max_bytes"] = *bytes;
    request["max_connections"] = m_connections->value();
    if (!m_host->text().trimmed().isEmpty())
        request["host"] = m_host->text().trimmed();
    return request;
}

void TokenDialog::showError(const QString &message)
{
    m_error->setText(message);
    m_error->show();
}

void TokenDialog::accept()
{
    if (!request().isEmpty()) // a field that does not parse keeps the form open, with the reason
        QDialog::accept();
}

TokenLinkDialog::TokenLinkDialog(const QString &label, const QString &link, QWidget *parent) : QDialog(parent)
{
    setWindowTitle(tr("Access Link"));
    auto *intro = new QLabel(tr("<b>Give this link to %1.</b> It opens the granted folder in Ferry Downloader "
                                "with nothing to confirm. This is the only time it is shown: the server keeps "
                                "only a hash of its token.")
                                 .arg(label.isEmpty() ? tr("whoever it is for") : label.toHtmlEscaped()),
                             this);
    intro->setWordWrap(true);
    auto *linkField = new QLineEdit(link, this);
    linkField->setObjectName(QStringLiteral("tokenLink"));
    linkField->setReadOnly(true);
    linkField->setMinimumWidth(linkField->fontMetrics().horizontalAdvance(link.left(80)));
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    QPushButton *copy = buttons->addButton(tr("&Copy Link"), QDialogButtonBox::ActionRole);
    copy->setObjectName(QStringLiteral("copyTokenLink"));
    connect(copy, &QPushButton::clicked, this, [link] { QApplication::clipboard()->setText(link); });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::accept);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addWidget(linkField);
    layout->addWidget(buttons);
}

} // namespace ferry::admingui
