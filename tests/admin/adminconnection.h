// A blocking admin-socket client for tests: connect, send a line (or raw bytes), read the next message,
// every wait bounded. Speaks docs/ADMIN.md with the server's own JSON type, so tests read like the spec.
#pragma once

#include "adminproto/json.h"

#include <QByteArray>
#include <QString>

#include <optional>
#include <string>

class AdminConnection
{
public:
    AdminConnection() = default;
    ~AdminConnection();
    AdminConnection(const AdminConnection &) = delete;
    AdminConnection &operator=(const AdminConnection &) = delete;

    // Connects and reads the greeting; true if it was a "hello" event.
    bool open(const QString &path);
    // Sends {"v":1,"id":N,"cmd":…,…args} and returns the reply with that id (events are skipped, and
    // kept for nextEvent()). nullopt on timeout or close.
    std::optional<ferry::admin::Json> call(const std::string &cmd,
                                           ferry::admin::Json args = ferry::admin::Json::object(),
                                           int timeoutMs = 10000);
    bool sendRaw(const QByteArray &bytes); // false once the server stopped reading
    // The next message of any kind; nullopt on timeout or close.
    std::optional<ferry::admin::Json> next(int timeoutMs = 10000);
    // The next event (replies are skipped).
    std::optional<ferry::admin::Json> nextEvent(int timeoutMs = 10000);
    // True once the server has sent something not yet taken by next(), reading none of it from the socket
    // (to hold a subscriber's reading back for a moment while the server is known to be pushing).
    bool waitForData(int timeoutMs = 10000);
    // Reads until EOF; true if the server closed within the timeout.
    bool waitForClose(int timeoutMs = 10000);
    void shutdownWrite();
    void close();
    const ferry::admin::Json &greeting() const { return m_greeting; }

private:
    bool fill(int timeoutMs);
    int m_fd = -1;
    int64_t m_nextId = 1;
    std::string m_buffer;
    bool m_eof = false;
    ferry::admin::Json m_greeting;
};

// Convenience accessors for assertions: the value at a path of keys, or a null Json; and that value as
// an integer (0 unless it is one) or a string ("" unless it is one). None throws, so a wait that
// polls a status which is not there yet (awaitStatus()) keeps polling.
const ferry::admin::Json &at(const ferry::admin::Json &json, std::initializer_list<const char *> path);
int64_t intAt(const ferry::admin::Json &json, std::initializer_list<const char *> path);
std::string textAt(const ferry::admin::Json &json, std::initializer_list<const char *> path);
