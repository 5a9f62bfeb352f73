// The few X11 calls the Direct Save source needs, on Qt's own xcb connection.
#pragma once

#include <QByteArray>

#include <cstdint>

namespace ferry::gui::xdnd {

// Whether the application runs on X11 (the xcb platform); everything below is a no-op elsewhere.
bool isX11();

// The window that owns XdndSelection, if it is one of this application's windows: during a drag
// Qt makes its (hidden) clipboard window the owner, and that is the drag's source window, the one
// named in XdndEnter. 0 when another client owns it, nobody does, or not on X11.
std::uint32_t ownSelectionWindow();

// Sets `name` on `window` to `value` (type text/plain, 8-bit), as XDS asks. False on failure.
bool setTextProperty(std::uint32_t window, const char *name, const QByteArray &value);

// The value of property `name` on `window` (any type, at most 64 KiB), empty if it is not set.
QByteArray textProperty(std::uint32_t window, const char *name);

} // namespace ferry::gui::xdnd
