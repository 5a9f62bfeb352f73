// The workers of the latest status, one row per occupied scoreboard slot, for the workers table.
//
// Rows are keyed by slot and merged on every update (rows inserted and removed, not reset), so selection
// and scrolling survive the once-a-second refresh. The model derives what the server does not send:
// per-transfer speed from a server without `throughput_bps` (bytes over the last SpeedWindowMs of
// snapshots, on the server's clock), CPU use over the last interval (cpu_ms between two snapshots of the
// same process), transfer duration, and a short "flash" after a row changes state, faded out on a timer
// that runs only while something flashes.
#pragma once

#include "statusjson.h"
#include "workerstate.h"

#include <QAbstractTableModel>
#include <QElapsedTimer>
#include <QList>

class QTimer;

namespace ferry::admingui {

class WorkerModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    // In the order an operator reads a row: who, what, how far, how fast; process details after.
    enum Column {
        SlotColumn,
        StateColumn,
        ConnectionColumn,
        PeerColumn,
        FileColumn,
        ProgressColumn,
        SpeedColumn,
        DurationColumn,
        BytesColumn,
        RequestsColumn,
        CpuColumn,
        RssColumn,
        FdsColumn,
        PidColumn,
        GenerationColumn,
        LastExitColumn,
        ColumnCount
    };
    enum Role {
        SortRole = Qt::UserRole + 1, // the raw value behind the text (numbers sort as numbers)
        ProgressRole,                // 0 … 1, or -1 when the size is unknown / no transfer
        StateRole,                   // int(WorkerState)
        FlashRole,                   // 1 right after a state change, fading to 0
        SlotRole,                    // the row's slot, on every column
    };
    static constexpr int FlashDurationMs = 1500;

    explicit WorkerModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // Merges a new snapshot into the rows.
    void updateFromStatus(const admin::StatusSnapshot &status);
    // Forgets every row (the server went away).
    void clear();

    const WorkerInfo &worker(int row) const { return m_rows.at(row).worker; }
    // worker(row).state as this version knows it (nullopt for a newer server's state).
    ReportedState state(int row) const { return m_rows.at(row).state; }
    // Bytes per second of the row's current transfer (0 when none).
    qint64 speed(int row) const { return m_rows.at(row).speedBps; }
    // Percent of one CPU core the row's process used between the last two snapshots
    // (user + system); -1 until there are two snapshots of the same process.
    double cpuPercent(int row) const { return m_rows.at(row).cpuPercent; }
    int rowForSlot(int slot) const;
    bool isFlashing(int row) const;

private:
    struct Row {
        WorkerInfo worker;
        ReportedState state; // worker.state as this version knows it
        qint64 nowMs = 0;
        qint64 speedBps = 0;
        double cpuPercent = -1;
        qint64 flashStartedMs = -1; // on m_clock; -1 = not flashing
        // (server ms, bytes sent) of this transfer over the last SpeedWindowMs, oldest first.
        QList<QPair<qint64, qint64>> recent;
    };
    // The speed is bytes over this much server time: long enough to smooth a rate-limited transfer whose
    // chunks arrive up to two seconds apart, short enough that a frozen transfer reads 0 within it.
    static constexpr qint64 SpeedWindowMs = 3000;

    Row makeRow(const WorkerInfo &worker, qint64 nowMs, const Row *previous) const;
    static double cpuPercentSince(const Row *previous, const WorkerInfo &worker, qint64 nowMs);
    QVariant display(const Row &row, int column) const;
    QVariant sortValue(const Row &row, int column) const;
    QVariant background(const Row &row) const;
    qreal flashLevel(const Row &row) const;
    void fadeFlashes();

    QList<Row> m_rows;
    QElapsedTimer m_clock;
    QTimer *m_flashTimer;
};

} // namespace ferry::admingui
