// A one-line label that shortens its text with "…" instead of growing its window.
#pragma once

#include <QLabel>

namespace ferry::gui {

// A QLabel asks for the width of its whole text, so a long message widens the window
// (and the window never shrinks back). This one asks for no width of its own, shows as
// much as fits, and keeps the whole text in text() and in its tooltip.
class ElidingLabel : public QLabel
{
    Q_OBJECT
public:
    explicit ElidingLabel(QWidget *parent = nullptr);

    void setFullText(const QString &text);
    QString fullText() const { return m_text; }

    QSize minimumSizeHint() const override;
    QSize sizeHint() const override;

protected:
    void resizeEvent(QResizeEvent *event) override;

private:
    void elide();

    QString m_text;
};

} // namespace ferry::gui
