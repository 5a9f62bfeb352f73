#include "interruptnotifier.h"

#include <QSocketNotifier>

#include <csignal>
#include <sys/signalfd.h>
#include <unistd.h>

namespace ferry::get {

namespace {

sigset_t stopSignals()
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    return set;
}

} // namespace

void InterruptNotifier::blockSignals()
{
    const sigset_t set = stopSignals();
    ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

InterruptNotifier::InterruptNotifier(QObject *parent) : QObject(parent)
{
    const sigset_t set = stopSignals();
    m_fd = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (m_fd < 0) {
        ::pthread_sigmask(SIG_UNBLOCK, &set, nullptr); // keep Ctrl-C working the plain way
        return;
    }
    m_notifier = new QSocketNotifier(m_fd, QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &InterruptNotifier::onReadable);
}

InterruptNotifier::~InterruptNotifier()
{
    delete m_notifier;
    if (m_fd >= 0)
        ::close(m_fd);
}

void InterruptNotifier::onReadable()
{
    signalfd_siginfo info{};
    while (::read(m_fd, &info, sizeof info) == ssize_t(sizeof info))
        emit interrupted(int(info.ssi_signo));
}

} // namespace ferry::get
