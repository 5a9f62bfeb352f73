#include "desktop/plaintooltip.h"

#include <QTextDocument>

namespace ferry::desktop {

QString plainToolTip(const QString &text)
{
    return Qt::mightBeRichText(text) ? Qt::convertFromPlainText(text, Qt::WhiteSpaceNormal) : text;
}

} // namespace ferry::desktop
