#include "xdstarget.h"

#include <xcb/xcb.h>
#include <xcb/xtest.h>

#include <poll.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace {

constexpr std::uint32_t XdndVersion = 5;
constexpr auto Deadline = std::chrono::seconds(30); // for the whole drag, far above what it takes
constexpr auto HandTick = std::chrono::milliseconds(20); // a hand moving at 50 Hz, as a mouse reports

struct FreeReply {
    void operator()(void *reply) const { std::free(reply); }
};
template<typename T>
using Reply = std::unique_ptr<T, FreeReply>;

} // namespace

XdsTarget::XdsTarget(QRect geometry)
    : m_geometry(geometry)
{
    m_connection = xcb_connect(nullptr, nullptr);
    if (xcb_connection_has_error(m_connection)) {
        m_error = QStringLiteral("xcb_connect() to $DISPLAY failed");
        return;
    }
    xcb_screen_t *screen = xcb_setup_roots_iterator(xcb_get_setup(m_connection)).data;
    m_root = screen->root;
    m_window = xcb_generate_id(m_connection);
    const std::uint32_t values[] = {screen->white_pixel, XCB_EVENT_MASK_EXPOSURE | XCB_EVENT_MASK_STRUCTURE_NOTIFY};
    xcb_create_window(m_connection, XCB_COPY_FROM_PARENT, m_window, m_root, int16_t(geometry.x()),
                      int16_t(geometry.y()), uint16_t(geometry.width()), uint16_t(geometry.height()), 0,
                      XCB_WINDOW_CLASS_INPUT_OUTPUT, screen->root_visual, XCB_CW_BACK_PIXEL | XCB_CW_EVENT_MASK,
                      values);
    xcb_change_property(m_connection, XCB_PROP_MODE_REPLACE, m_window, atom("XdndAware"), XCB_ATOM_ATOM, 32, 1,
                        &XdndVersion);
    xcb_map_window(m_connection, m_window);
    xcb_flush(m_connection);
    if (!Reply<xcb_generic_event_t>(static_cast<xcb_generic_event_t *>(waitForEvent(XCB_MAP_NOTIFY, Deadline))))
        m_error = QStringLiteral("the target window was never mapped");
}

XdsTarget::~XdsTarget()
{
    if (m_thread.joinable())
        m_thread.join();
    xcb_disconnect(m_connection);
}

void XdsTarget::dragFrom(QPoint from, const QByteArray &uri)
{
    m_thread = std::thread([this, from, uri] {
        run(from, uri);
        m_finished = true;
    });
}

// As a user does: press on the row, move the hand over the folder, let go once the folder has
// said it accepts the drop. The hand moves one step per tick, the next step as soon as the tick
// passes with no XDND message: the application compresses motion events that queue up, and its
// item view starts a drag only on the second motion it sees with the button down.
void XdsTarget::run(QPoint from, QByteArray uri)
{
    fakeMotion(from);
    xcb_test_fake_input(m_connection, XCB_BUTTON_PRESS, 1, XCB_CURRENT_TIME, XCB_NONE, 0, 0, 0);
    const auto end = std::chrono::steady_clock::now() + Deadline;
    for (int step = 1; m_outcome.answer.isEmpty() && m_error.isEmpty(); ++step) {
        if (std::chrono::steady_clock::now() > end) {
            m_error = QStringLiteral("no XdndDrop (or no XDND at all) within %1 s").arg(Deadline.count());
            break;
        }
        if (!m_released)
            fakeMotion(handAt(from, step));
        xcb_flush(m_connection);
        const Reply<xcb_generic_event_t> event(
            static_cast<xcb_generic_event_t *>(waitForEvent(XCB_CLIENT_MESSAGE, HandTick)));
        if (event && !handleMessage(event.get(), uri))
            break;
    }
    m_outcome.error = m_error;
}

// Twenty steps from the row to the folder's middle, then a one-pixel tremor there.
QPoint XdsTarget::handAt(QPoint from, int step) const
{
    constexpr int Steps = 20;
    if (step <= Steps)
        return from + (m_geometry.center() - from) * step / Steps;
    return m_geometry.center() + QPoint(step % 2, 0);
}

void XdsTarget::fakeMotion(QPoint at)
{
    xcb_test_fake_input(m_connection, XCB_MOTION_NOTIFY, 0, XCB_CURRENT_TIME, m_root, int16_t(at.x()),
                        int16_t(at.y()), 0);
}

// One XDND client message; false once the drag is over (dropped or left).
bool XdsTarget::handleMessage(const void *message, const QByteArray &uri)
{
    const auto *event = static_cast<const xcb_client_message_event_t *>(message);
    const std::uint32_t *l = event->data.data32;
    if (event->type == atom("XdndEnter")) {
        m_source = l[0];
        QList<std::uint32_t> types;
        if (l[1] & 1) { // more than three: the list is a property of the source window
            const QByteArray list = property(m_source, atom("XdndTypeList"), false);
            for (qsizetype i = 0; i + 4 <= list.size(); i += 4)
                types << *reinterpret_cast<const std::uint32_t *>(list.constData() + i);
        } else {
            types << l[2] << l[3] << l[4];
        }
        for (std::uint32_t type : types) {
            if (type != XCB_ATOM_NONE)
                m_outcome.types << atomName(type);
        }
    } else if (event->type == atom("XdndPosition")) {
        answerPosition();
    } else if (event->type == atom("XdndLeave")) {
        m_error = QStringLiteral("the drag left the window (XdndLeave) instead of dropping");
        return false;
    } else if (event->type == atom("XdndDrop")) {
        directSave(l[2], uri);
        return false;
    }
    return true;
}

// Accepts a copy, asks for every further position, and lets go after the first answer: by then
// the source knows the drop is welcome.
void XdsTarget::answerPosition()
{
    sendToSource(atom("XdndStatus"), 1 | 2, atom("XdndActionCopy"));
    if (!m_released) {
        m_released = true;
        xcb_test_fake_input(m_connection, XCB_BUTTON_RELEASE, 1, XCB_CURRENT_TIME, XCB_NONE, 0, 0, 0);
    }
    xcb_flush(m_connection);
}

// XDS as a file manager does it: read the proposed name, replace it with the URI of the file to
// write, convert XdndSelection to XdndDirectSave0 with the drop's time, read the answer (twice:
// the source must not save twice), finish.
void XdsTarget::directSave(std::uint32_t time, const QByteArray &uri)
{
    const std::uint32_t xds = atom("XdndDirectSave0");
    m_outcome.proposedName = property(m_source, xds, false);
    xcb_change_property(m_connection, XCB_PROP_MODE_REPLACE, m_source, xds, atom("text/plain"), 8,
                        uint32_t(uri.size()), uri.constData());
    m_outcome.answer = convert(time);
    m_outcome.secondAnswer = convert(time);
    const bool saved = m_outcome.answer == "S";
    sendToSource(atom("XdndFinished"), saved ? 1 : 0, saved ? atom("XdndActionCopy") : std::uint32_t(XCB_ATOM_NONE));
    xcb_flush(m_connection);
}

// The source's answer to converting XdndSelection to XdndDirectSave0, empty on failure.
QByteArray XdsTarget::convert(std::uint32_t time)
{
    const std::uint32_t xds = atom("XdndDirectSave0");
    xcb_convert_selection(m_connection, m_window, atom("XdndSelection"), xds, xds, time);
    xcb_flush(m_connection);
    const Reply<xcb_selection_notify_event_t> notify(
        static_cast<xcb_selection_notify_event_t *>(waitForEvent(XCB_SELECTION_NOTIFY, Deadline)));
    if (!notify)
        m_error = QStringLiteral("no SelectionNotify for XdndDirectSave0");
    else if (notify->property == XCB_ATOM_NONE)
        m_error = QStringLiteral("the source refused to convert XdndSelection to XdndDirectSave0");
    else
        return property(m_window, xds, true);
    return {};
}

// XdndStatus and XdndFinished share a layout: our window, flags, (rectangle,) action.
void XdsTarget::sendToSource(std::uint32_t type, std::uint32_t d1, std::uint32_t d4)
{
    xcb_client_message_event_t event;
    std::memset(&event, 0, sizeof event);
    event.response_type = XCB_CLIENT_MESSAGE;
    event.format = 32;
    event.window = m_source;
    event.type = type;
    event.data.data32[0] = m_window;
    event.data.data32[1] = d1;
    event.data.data32[atom("XdndFinished") == type ? 2 : 4] = d4;
    xcb_send_event(m_connection, 0, m_source, XCB_EVENT_MASK_NO_EVENT, reinterpret_cast<const char *>(&event));
}

// The next event of `type` (others are dropped), or nullptr after `timeout`. The caller frees it.
void *XdsTarget::waitForEvent(std::uint8_t type, std::chrono::milliseconds timeout)
{
    const auto end = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        while (xcb_generic_event_t *event = xcb_poll_for_event(m_connection)) {
            if ((event->response_type & 0x7f) == type)
                return event;
            std::free(event);
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
        if (left.count() <= 0 || xcb_connection_has_error(m_connection))
            return nullptr;
        pollfd fd{xcb_get_file_descriptor(m_connection), POLLIN, 0};
        ::poll(&fd, 1, int(left.count()));
    }
}

std::uint32_t XdsTarget::atom(const char *name) const
{
    const Reply<xcb_intern_atom_reply_t> reply(xcb_intern_atom_reply(
        m_connection, xcb_intern_atom(m_connection, 0, uint16_t(std::strlen(name)), name), nullptr));
    return reply ? reply->atom : xcb_atom_t(XCB_ATOM_NONE);
}

QByteArray XdsTarget::atomName(std::uint32_t atom) const
{
    const Reply<xcb_get_atom_name_reply_t> reply(
        xcb_get_atom_name_reply(m_connection, xcb_get_atom_name(m_connection, atom), nullptr));
    if (!reply)
        return {};
    return QByteArray(xcb_get_atom_name_name(reply.get()), xcb_get_atom_name_name_length(reply.get()));
}

QByteArray XdsTarget::property(std::uint32_t window, std::uint32_t name, bool remove) const
{
    const Reply<xcb_get_property_reply_t> reply(xcb_get_property_reply(
        m_connection, xcb_get_property(m_connection, remove, window, name, XCB_GET_PROPERTY_TYPE_ANY, 0, 16384),
        nullptr));
    if (!reply)
        return {};
    return QByteArray(static_cast<const char *>(xcb_get_property_value(reply.get())),
                      xcb_get_property_value_length(reply.get()));
}
