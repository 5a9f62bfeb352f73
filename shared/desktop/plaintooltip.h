// Tooltips of text that came from outside: a server's message, a name in its listing, a path a network
// client asked for. Qt draws a tooltip as HTML whenever its text merely looks like HTML
// (Qt::mightBeRichText), so a folder named "<h1>Update</h1>" or a request for "<a href=…>" would be shown
// as a heading or a link, and an <img> could load a local file: whoever chose the text would choose how
// it looks.
#pragma once

#include <QString>

namespace ferry::desktop {

// `text` as a tooltip shows it literally: unchanged when Qt would take it for plain text anyway,
// otherwise escaped into HTML that reads as the text itself (line breaks kept).
QString plainToolTip(const QString &text);

} // namespace ferry::desktop
