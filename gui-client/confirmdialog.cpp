#include "confirmdialog.h"

#include <QApplication>
#include <QCheckBox>
#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QStyle>
#include <QVBoxLayout>

namespace ferry::gui {

ConfirmDialog::ConfirmDialog(const QString &question, const QString &detail, const QString &acceptText,
                             QWidget *parent)
    : QDialog(parent)
    , m_option(new QCheckBox(this))
    , m_dontAsk(new QCheckBox(tr("Do&n't ask again"), this))
{
    setObjectName(QStringLiteral("confirmDialog"));
    setWindowTitle(QApplication::applicationDisplayName());
    auto *icon = new QLabel(this);
    const int size = style()->pixelMetric(QStyle::PM_MessageBoxIconSize, nullptr, this);
    icon->setPixmap(style()->standardIcon(QStyle::SP_MessageBoxQuestion, nullptr, this).pixmap(size, size));
    auto *questionLabel = new QLabel(QStringLiteral("<b>%1</b>").arg(question.toHtmlEscaped()), this);
    auto *detailLabel = new QLabel(detail, this);
    detailLabel->setTextFormat(Qt::PlainText);
    detailLabel->setWordWrap(true);
    m_option->hide();
    m_dontAsk->setObjectName(QStringLiteral("dontAskCheck"));
    auto *buttons = new QDialogButtonBox(this);
    QPushButton *accept = buttons->addButton(acceptText, QDialogButtonBox::AcceptRole);
    buttons->addButton(QDialogButtonBox::Cancel);
    accept->setDefault(true);

    auto *texts = new QVBoxLayout;
    texts->addWidget(questionLabel);
    texts->addWidget(detailLabel);
    texts->addSpacing(6);
    texts->addWidget(m_option);
    texts->addWidget(m_dontAsk);
    auto *top = new QHBoxLayout;
    top->addWidget(icon, 0, Qt::AlignTop);
    top->addLayout(texts, 1);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
}

void ConfirmDialog::setOption(const QString &text, bool checked, const QString &name)
{
    m_option->setText(text);
    m_option->setChecked(checked);
    m_option->setObjectName(name);
    m_option->show();
    m_hasOption = true;
}

bool ConfirmDialog::isOptionChecked() const
{
    return m_hasOption && m_option->isChecked();
}

bool ConfirmDialog::dontAskAgain() const
{
    return m_dontAsk->isChecked();
}

} // namespace ferry::gui
