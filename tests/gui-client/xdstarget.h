// A file manager's folder window, as the X server sees one: the drop target side of XDND and of
// the Direct Save Protocol (XDS 0.4), with its own X connection, so the Downloader under test
// meets a separate client exactly as it would meet Nautilus or Thunar.
#pragma once

#include <QByteArray>
#include <QList>
#include <QPoint>
#include <QRect>
#include <QString>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

struct xcb_connection_t;

class XdsTarget
{
public:
    // What the target saw of the drag and what the source answered.
    struct Outcome {
        QList<QByteArray> types;  // the source's XdndTypeList, as atom names
        QByteArray proposedName;  // XdndDirectSave0 on the source window before the drop
        QByteArray answer;        // the source's reply to the XdndDirectSave0 conversion ("S", "F", "E")
        QByteArray secondAnswer;  // its reply when asked once more, as some file managers do
        QString error;            // a protocol step that went wrong, empty when none did
    };

    // Connects to $DISPLAY and maps an XdndAware window at `geometry` (root coordinates).
    explicit XdsTarget(QRect geometry);
    ~XdsTarget();
    XdsTarget(const XdsTarget &) = delete;
    XdsTarget &operator=(const XdsTarget &) = delete;

    QString errorString() const { return m_error; }

    // On a thread of its own (the application's event loop must keep running): presses the
    // pointer at `from` (root coordinates), drags onto the window, releases there, and on
    // XdndDrop writes `uri` as the place to save the file and asks the source to save it.
    void dragFrom(QPoint from, const QByteArray &uri);
    bool isFinished() const { return m_finished.load(); }
    // Valid once isFinished().
    Outcome outcome() const { return m_outcome; }

private:
    void run(QPoint from, QByteArray uri);
    QPoint handAt(QPoint from, int step) const;
    void fakeMotion(QPoint at);
    bool handleMessage(const void *message, const QByteArray &uri);
    void answerPosition();
    void directSave(std::uint32_t time, const QByteArray &uri);
    QByteArray convert(std::uint32_t time);
    void sendToSource(std::uint32_t type, std::uint32_t d1, std::uint32_t d4);
    void *waitForEvent(std::uint8_t type, std::chrono::milliseconds timeout);
    std::uint32_t atom(const char *name) const;
    QByteArray atomName(std::uint32_t atom) const;
    QByteArray property(std::uint32_t window, std::uint32_t name, bool remove) const;

    xcb_connection_t *m_connection = nullptr;
    std::uint32_t m_root = 0;
    std::uint32_t m_window = 0;
    std::uint32_t m_source = 0;
    QRect m_geometry;
    QString m_error;
    bool m_released = false;
    Outcome m_outcome;
    std::thread m_thread;
    std::atomic<bool> m_finished{false};
};
