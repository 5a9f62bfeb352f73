// What ferry-get prints that a server chose (file and folder names, error messages, the paths made of
// those names), made safe for a terminal: a hostile server must not be able to move the cursor, rewrite
// the lines above, retitle the window or answer back through the terminal with escape sequences hidden
// in a name. Pure.
#pragma once

#include <QString>

#include <cstdio>

namespace ferry::get {

// `text` with every character a terminal could obey shown as '?': the C0 controls (so also TAB and
// newline: one line stays one line), DEL and the C1 controls U+0080–U+009F (U+009B is the 8-bit CSI),
// and a lone surrogate: shared/terminal/terminal_text.h, as ferry-ctl and the server's log show such text.
QString shownText(const QString &text);
// As `ls` treats names: shownText() when `stream` is a terminal, for the person reading it; the text
// itself in a pipe or a file, for the program reading it (which gets the exact name).
QString textFor(std::FILE *stream, const QString &text);
// JSON text (as QJsonDocument writes it: UTF-8, C0 controls already escaped) with DEL and the C1 controls
// written as \u escapes too (shared/terminal/terminal_json.h): the same values, nothing a terminal obeys.
QByteArray withControlsEscaped(const QByteArray &json);

} // namespace ferry::get
