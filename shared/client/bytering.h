// The body bytes a verified download's hashing thread has yet to read: one buffer, reused. Internal.
#pragma once

#include <QtGlobal>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

namespace ferry::client {

// One writer (the event loop's thread) puts each block of body bytes in (the socket is read
// straight into writable(), or the bytes are copied); each of a fixed number of readers (the
// hashing thread: one since a manifest's entries give the file's SHA-256, but the ring allows
// several) reads every block in the order written and releases it. A fresh heap block per read
// cost a page fault every 4 KiB and an munmap (a third of a verified download's system time);
// the ring's pages are touched once. Its capacity bounds how far the readers may lag: a
// full ring is the writer's cue to stop reading from the network.
//
// Thread-safety: writable(), write(), watchRoom() and the room on the writer's thread only,
// release() on reader `reader`'s only. The writer must publish a block to its readers through a
// lock (the task queue does), so that they see the bytes; release() publishes the reader's being
// done with them.
//
// A writer that finds too little room does not poll: watchRoom() asks to be told, and the release
// that frees enough calls the room callback, on that reader's thread. Both sides decide under one
// mutex, so a release is either seen by watchRoom()'s own look at the room or finds the watch set:
// no wake-up is lost between the writer's "too little" and the reader's release.
class ByteRing
{
public:
    ByteRing(qint64 capacity, int readers);
    ByteRing(const ByteRing &) = delete;
    ByteRing &operator=(const ByteRing &) = delete;

    qint64 capacity() const { return m_capacity; }
    // Bytes that can be written now in one piece (up to the buffer's end), without overwriting
    // what a reader has not released.
    qint64 contiguousRoom() const;
    // Bytes that can be written now, in one or two pieces.
    qint64 room() const;
    // Where the next write goes, at most `max` bytes (contiguousRoom()): the socket can be
    // read straight into it.
    std::span<char> writable(qint64 max);
    // Copies `size` bytes (at most contiguousRoom()) in, or only takes them when `data` is
    // writable()'s span already; returns where they are, valid until every reader has
    // released them.
    const char *write(const char *data, qint64 size);
    // Reader `reader` is done with the next `size` bytes in write order; calls the room callback
    // when this release gives a watch its room.
    void release(int reader, qint64 size);

    // Called (on a reader's thread) once a watched room is free. Set before any reader runs.
    void setRoomCallback(std::function<void()> callback) { m_roomCallback = std::move(callback); }
    // True when `size` bytes (at most capacity()) can be written now. Otherwise false, and the
    // room callback is called once, by the first release() after which they can; a later watch
    // replaces an earlier one.
    bool watchRoom(qint64 size);

private:
    qint64 oldestUnreleased() const;
    qint64 leastReleased() const;

    qint64 m_capacity;
    std::unique_ptr<char[]> m_bytes; // uninitialised: a page is first touched when written
    qint64 m_written = 0; // bytes ever written (positions are these counts modulo capacity)
    std::vector<std::atomic<qint64>> m_released; // per reader, bytes ever released
    std::function<void()> m_roomCallback;
    std::mutex m_watchMutex;
    qint64 m_watchedRelease = 0; // guarded: the released count that gives the watch its room; 0 none
};

} // namespace ferry::client
