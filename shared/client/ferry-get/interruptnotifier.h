// SIGINT and SIGTERM as an event-loop signal, so ferry-get can stop cleanly.
#pragma once

#include <QObject>

class QSocketNotifier;

namespace ferry::get {

// Blocks SIGINT and SIGTERM for the whole process (call before any thread starts)
// and reads them from a signalfd on the event loop: nothing runs in a signal handler.
class InterruptNotifier : public QObject
{
    Q_OBJECT
public:
    explicit InterruptNotifier(QObject *parent = nullptr);
    ~InterruptNotifier() override;
    InterruptNotifier(const InterruptNotifier &) = delete;
    InterruptNotifier &operator=(const InterruptNotifier &) = delete;

    // False when the signalfd could not be set up (the default actions then apply).
    bool isValid() const { return m_fd >= 0; }

    // Must run before QCoreApplication creates threads, which inherit the mask.
    static void blockSignals();

signals:
    void interrupted(int signalNumber);

private:
    void onReadable();

    int m_fd = -1; // owned signalfd
    QSocketNotifier *m_notifier = nullptr;
};

} // namespace ferry::get
