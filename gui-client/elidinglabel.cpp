#include "elidinglabel.h"

#include "desktop/plaintooltip.h"

#include <QResizeEvent>

namespace ferry::gui {

ElidingLabel::ElidingLabel(QWidget *parent)
    : QLabel(parent)
{
    setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    setTextFormat(Qt::PlainText);
}

void ElidingLabel::setFullText(const QString &text)
{
    m_text = text;
    setToolTip(desktop::plainToolTip(text));
    elide();
}

// Room for a few characters; beyond that the layout gives what it has.
QSize ElidingLabel::minimumSizeHint() const
{
    return QSize(fontMetrics().averageCharWidth() * 8, QLabel::minimumSizeHint().height());
}

QSize ElidingLabel::sizeHint() const
{
    return QSize(fontMetrics().horizontalAdvance(m_text), QLabel::sizeHint().height());
}

void ElidingLabel::resizeEvent(QResizeEvent *event)
{
    QLabel::resizeEvent(event);
    elide();
}

void ElidingLabel::elide()
{
    setText(fontMetrics().elidedText(m_text, Qt::ElideRight, contentsRect().width()));
}

} // namespace ferry::gui
