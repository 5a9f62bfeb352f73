#include "tokenprompt.h"

#include <QAction>
#include <QGridLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QStyle>
#include <QToolButton>

namespace ferry::gui {

TokenPrompt::TokenPrompt(QWidget *parent)
    : QFrame(parent)
    , m_question(new QLabel(this))
    , m_detail(new QLabel(this))
    , m_field(new QLineEdit(this))
    , m_use(new QPushButton(tr("&Use"), this))
{
    setObjectName(QStringLiteral("tokenPrompt"));
    setFrameShape(QFrame::StyledPanel);
    setAutoFillBackground(true);
    setBackgroundRole(QPalette::ToolTipBase);
    m_question->setObjectName(QStringLiteral("tokenQuestion"));
    m_detail->setObjectName(QStringLiteral("tokenDetail"));
    m_detail->setWordWrap(true);
    m_detail->setTextFormat(Qt::PlainText); // the server's reason, with what the server put in it
    m_field->setObjectName(QStringLiteral("tokenField"));
    m_field->setEchoMode(QLineEdit::Password); // a token is a password: not for someone looking on
    m_field->setPlaceholderText(tr("ferry://…?token=… or the token itself"));
    m_field->setClearButtonEnabled(true);
    m_use->setObjectName(QStringLiteral("tokenUse"));
    m_use->setDefault(true);
    auto *close = new QToolButton(this);
    close->setIcon(style()->standardIcon(QStyle::SP_TitleBarCloseButton));
    close->setAutoRaise(true);
    close->setToolTip(tr("Close (Esc)"));

    auto *layout = new QGridLayout(this);
    layout->setContentsMargins(8, 6, 4, 6);
    layout->addWidget(m_question, 0, 0, 1, 2);
    layout->addWidget(close, 0, 2, Qt::AlignTop);
    layout->addWidget(m_field, 1, 0);
    layout->addWidget(m_use, 1, 1);
    layout->addWidget(m_detail, 2, 0, 1, 2);
    layout->setColumnStretch(0, 1);

    auto *escape = new QAction(this);
    escape->setShortcut(QKeySequence(Qt::Key_Escape));
    escape->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    addAction(escape);
    connect(escape, &QAction::triggered, this, &QWidget::hide);
    connect(close, &QToolButton::clicked, this, &QWidget::hide);
    connect(m_use, &QPushButton::clicked, this, &TokenPrompt::submit);
    connect(m_field, &QLineEdit::returnPressed, this, &TokenPrompt::submit);
    hide();
}

void TokenPrompt::ask(const QString &server, const QString &why)
{
    m_question->setText(tr("<b>%1 needs an access link or token.</b> Paste the link you were given, or its "
                           "token.").arg(server.toHtmlEscaped()));
    m_detail->setText(why);
    m_field->clear();
    show();
    m_field->setFocus();
}

void TokenPrompt::refuse(const QString &problem)
{
    m_detail->setText(problem);
    m_field->selectAll();
    m_field->setFocus();
}

void TokenPrompt::submit()
{
    const QString text = m_field->text().trimmed();
    if (text.isEmpty()) {
        refuse(tr("Paste a ferry:// link or a token first."));
        return;
    }
    emit entered(text);
}

} // namespace ferry::gui
