// Sets an environment variable for the servers (and test hooks) a test starts, and takes it away again
// when it goes out of scope, so one test's hook never reaches the next test's server.
#pragma once

#include <QByteArray>
#include <QtGlobal>

namespace ferrytest {

class ScopedEnv {
public:
    ScopedEnv(const char *name, const QByteArray &value) : m_name(name) { qputenv(name, value); }
    ~ScopedEnv() { qunsetenv(m_name); }
    ScopedEnv(const ScopedEnv &) = delete;
    ScopedEnv &operator=(const ScopedEnv &) = delete;

private:
    const char *m_name;
};

} // namespace ferrytest
