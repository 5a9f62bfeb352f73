#include "xdndproperty.h"

#include <QGuiApplication>
#include <QtGui/qguiapplication_platform.h>

#include <xcb/xcb.h>

#include <cstdlib>
#include <memory>

namespace ferry::gui::xdnd {

namespace {

struct FreeReply {
    void operator()(void *reply) const { std::free(reply); }
};
template<typename T>
using Reply = std::unique_ptr<T, FreeReply>;

xcb_connection_t *connection()
{
    if (!isX11())
        return nullptr;
    auto *x11 = qGuiApp->nativeInterface<QNativeInterface::QX11Application>();
    return x11 ? x11->connection() : nullptr;
}

xcb_atom_t atom(xcb_connection_t *c, const char *name)
{
    const Reply<xcb_intern_atom_reply_t> reply(
        xcb_intern_atom_reply(c, xcb_intern_atom(c, 0, uint16_t(qstrlen(name)), name), nullptr));
    return reply ? reply->atom : xcb_atom_t(XCB_ATOM_NONE);
}

// A client's resource ids share the base the server gave it at connection time.
bool isOwnWindow(xcb_connection_t *c, xcb_window_t window)
{
    const xcb_setup_t *setup = xcb_get_setup(c);
    return window != XCB_NONE && (window & ~setup->resource_id_mask) == setup->resource_id_base;
}

} // namespace

bool isX11()
{
    return QGuiApplication::platformName() == QLatin1String("xcb");
}

std::uint32_t ownSelectionWindow()
{
    xcb_connection_t *c = connection();
    if (!c)
        return 0;
    const xcb_atom_t selection = atom(c, "XdndSelection");
    const Reply<xcb_get_selection_owner_reply_t> reply(
        xcb_get_selection_owner_reply(c, xcb_get_selection_owner(c, selection), nullptr));
    return reply && isOwnWindow(c, reply->owner) ? reply->owner : 0;
}

bool setTextProperty(std::uint32_t window, const char *name, const QByteArray &value)
{
    xcb_connection_t *c = connection();
    if (!c || window == 0)
        return false;
    const xcb_void_cookie_t cookie = xcb_change_property_checked(
        c, XCB_PROP_MODE_REPLACE, window, atom(c, name), atom(c, "text/plain"), 8, uint32_t(value.size()),
        value.constData());
    const Reply<xcb_generic_error_t> error(xcb_request_check(c, cookie));
    return !error;
}

QByteArray textProperty(std::uint32_t window, const char *name)
{
    xcb_connection_t *c = connection();
    if (!c || window == 0)
        return {};
    constexpr uint32_t MaxWords = 16384; // 64 KiB: far more than any path a file manager proposes
    const Reply<xcb_get_property_reply_t> reply(xcb_get_property_reply(
        c, xcb_get_property(c, 0, window, atom(c, name), XCB_GET_PROPERTY_TYPE_ANY, 0, MaxWords), nullptr));
    if (!reply || reply->format != 8)
        return {};
    return QByteArray(static_cast<const char *>(xcb_get_property_value(reply.get())),
                      xcb_get_property_value_length(reply.get()));
}

} // namespace ferry::gui::xdnd
