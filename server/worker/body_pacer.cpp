#include "worker/body_pacer.h"

#include "worker/transfer.h"

#include <algorithm>

namespace ferry::server {

namespace {

int64_t askAgainAt(int64_t when, int64_t nowNs) { return std::min(when, nowNs + MaxPauseNs); }

} // namespace

int64_t BodyPacer::admitAt(int64_t nowNs, uint64_t remaining, size_t &chunk)
{
    switch (m_phase) {
    case Phase::GlobalTurn: return admitGlobal(nowNs, chunk);
    case Phase::TokenTurn: // the shared rates are fixed for the body's life: a turn taken is not rescheduled
        if (m_token.startNs > nowNs)
            return askAgainAt(m_token.startNs, nowNs);
        return reserveAddress(nowNs, chunk);
    case Phase::AddressTurn:
        if (m_address.startNs > nowNs)
            return askAgainAt(m_address.startNs, nowNs);
        m_phase = Phase::OwnTurn;
        chunk = m_chunk;
        return 0;
    case Phase::OwnTurn: break;
    }
    return admitOwn(nowNs, remaining, chunk);
}

int64_t BodyPacer::admitOwn(int64_t nowNs, uint64_t remaining, size_t &chunk)
{
    m_reserved = 0;
    uint64_t perConnection = m_control.perConnectionRate.load(std::memory_order_relaxed);
    const uint64_t global = m_control.globalRate.load(std::memory_order_relaxed);
    if (perConnection != 0 || m_own.rate() != 0) {
        m_own.setRate(perConnection, nowNs); // follows a changed limit from now on (pacing.h)
        if (int64_t when = m_own.sendTimeNs(nowNs); when > nowNs)
            return askAgainAt(when, nowNs);
        // The chunk counts against the body's own limit from its own turn: time spent waiting for the
        // global one after it is not time this connection chose not to send, and must not cost it rate.
        m_ownTurnNs = nowNs;
        perConnection = m_own.rate();
    }
    // Sized after the wait, with the limits now in force: a chunk sized before a cut would be billed at
    // the new rate for seconds.
    const uint32_t senders = m_control.activeSenders.load(std::memory_order_relaxed);
    uint64_t rate = effectiveRate(perConnection, global, senders);
    for (const SharedTurn *shared : {&m_token, &m_address})
        if (shared->limit.rate != 0 && (rate == 0 || shared->limit.rate < rate))
            rate = shared->limit.rate;
    chunk = size_t(chunkSize(remaining, rate));
    m_chunk = chunk;
    if (global == 0)
        return reserveToken(nowNs, chunk);
    m_reserved = chunk;
    m_reservedRate = global;
    m_waitRate = global;
    m_globalStartNs = reserveShared(m_control.globalPaidUntilNs, nowNs, chunk, global);
    if (m_globalStartNs <= nowNs)
        return reserveToken(nowNs, chunk);
    m_phase = Phase::GlobalTurn;
    return askAgainAt(m_globalStartNs, nowNs);
}

int64_t BodyPacer::reserveOn(SharedTurn &turn, Phase waiting, int64_t nowNs)
{
    m_phase = Phase::OwnTurn;
    if (turn.limit.rate == 0)
        return 0;
    turn.reserved = m_chunk;
    turn.startNs = reserveShared(*turn.limit.paidUntilNs, nowNs, m_chunk, turn.limit.rate);
    if (turn.startNs <= nowNs)
        return 0;
    m_phase = waiting;
    return askAgainAt(turn.startNs, nowNs);
}

int64_t BodyPacer::reserveToken(int64_t nowNs, size_t &chunk)
{
    if (int64_t wait = reserveOn(m_token, Phase::TokenTurn, nowNs); wait != 0)
        return wait;
    return reserveAddress(nowNs, chunk);
}

int64_t BodyPacer::reserveAddress(int64_t nowNs, size_t &chunk)
{
    chunk = m_chunk;
    return reserveOn(m_address, Phase::AddressTurn, nowNs);
}

int64_t BodyPacer::admitGlobal(int64_t nowNs, size_t &chunk)
{
    // The parent reschedules the shared schedule on a change; our turn, already taken, follows alike.
    const uint64_t latest = m_control.globalRate.load(std::memory_order_relaxed);
    m_globalStartNs = rescheduled(m_globalStartNs, nowNs, m_waitRate, latest);
    m_waitRate = latest;
    if (m_globalStartNs > nowNs)
        return askAgainAt(m_globalStartNs, nowNs);
    return reserveToken(nowNs, chunk);
}

void BodyPacer::refund(SharedTurn &turn, uint64_t sent)
{
    if (turn.reserved > sent)
        refundShared(*turn.limit.paidUntilNs, turn.reserved - sent, turn.limit.rate);
    turn.reserved = 0;
}

void BodyPacer::settle(uint64_t sent)
{
    m_own.paid(m_ownTurnNs, sent);
    if (m_reserved > sent)
        refundShared(m_control.globalPaidUntilNs, m_reserved - sent, m_reservedRate);
    m_reserved = 0;
    refund(m_token, sent);
    refund(m_address, sent);
    m_phase = Phase::OwnTurn;
}

} // namespace ferry::server
