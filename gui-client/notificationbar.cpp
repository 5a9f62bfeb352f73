#include "notificationbar.h"

#include "desktop/plaintooltip.h"

#include <QAction>
#include <QDesktopServices>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QStyle>
#include <QToolButton>
#include <QUrl>

namespace ferry::gui {

NotificationBar::NotificationBar(QWidget *parent)
    : QFrame(parent)
    , m_icon(new QLabel(this))
    , m_text(new QLabel(this))
    , m_open(new QPushButton(tr("&Open"), this))
    , m_close(new QToolButton(this))
{
    setObjectName(QStringLiteral("notificationBar"));
    setFrameShape(QFrame::StyledPanel);
    setAutoFillBackground(true);
    setBackgroundRole(QPalette::ToolTipBase);
    m_text->setObjectName(QStringLiteral("notificationText"));
    m_text->setTextFormat(Qt::RichText);
    m_text->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_open->setObjectName(QStringLiteral("notificationOpen"));
    m_close->setIcon(style()->standardIcon(QStyle::SP_TitleBarCloseButton));
    m_close->setAutoRaise(true);
    m_close->setToolTip(tr("Close (Esc)"));
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 4, 4, 4);
    layout->addWidget(m_icon);
    layout->addWidget(m_text, 1);
    layout->addWidget(m_open);
    layout->addWidget(m_close);
    auto *escape = new QAction(this);
    escape->setShortcut(QKeySequence(Qt::Key_Escape));
    escape->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    addAction(escape);
    m_hide.setSingleShot(true);
    m_hide.setInterval(ShowMs);
    connect(escape, &QAction::triggered, this, &QWidget::hide);
    connect(m_close, &QToolButton::clicked, this, &QWidget::hide);
    connect(&m_hide, &QTimer::timeout, this, &QWidget::hide);
    connect(m_open, &QPushButton::clicked, this, [this] {
        QDesktopServices::openUrl(QUrl::fromLocalFile(m_filePath));
        hide();
    });
    hide();
}

void NotificationBar::showMessage(const QString &title, const QString &text, const QString &filePath, bool failure)
{
    const int size = fontMetrics().height();
    const auto icon = failure ? QStyle::SP_MessageBoxWarning : QStyle::SP_DialogApplyButton;
    m_icon->setPixmap(style()->standardIcon(icon).pixmap(size, size));
    m_text->setText(QStringLiteral("<b>%1</b>&nbsp;&nbsp;%2").arg(title.toHtmlEscaped(), text.toHtmlEscaped()));
    m_text->setToolTip(desktop::plainToolTip(text));
    m_filePath = filePath;
    m_open->setVisible(!filePath.isEmpty());
    show();
    m_hide.start();
}

QString NotificationBar::text() const
{
    return m_text->toolTip();
}

} // namespace ferry::gui
