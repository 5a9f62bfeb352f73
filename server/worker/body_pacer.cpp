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
    case Phase::TokenTurn: return admitToken(nowNs, chunk);
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
    if (m_token.rate != 0 && (rate == 0 || m_token.rate < rate))
        rate = m_token.rate;
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

int64_t BodyPacer::reserveToken(int64_t nowNs, size_t &chunk)
{
    chunk = m_chunk;
    m_phase = Phase::OwnTurn;
    if (m_token.rate == 0)
        return 0;
    m_tokenReserved = m_chunk;
    m_tokenStartNs = reserveShared(*m_token.paidUntilNs, nowNs, m_chunk, m_token.rate);
    if (m_tokenStartNs <= nowNs)
        return 0;
    m_phase = Phase::TokenTurn;
    return askAgainAt(m_tokenStartNs, nowNs);
}

int64_t BodyPacer::admitToken(int64_t nowNs, size_t &chunk)
{
    if (m_tokenStartNs > nowNs) // the token's rate is fixed for its life: no rescheduling
        return askAgainAt(m_tokenStartNs, nowNs);
    m_phase = Phase::OwnTurn;
    chunk = m_chunk;
    return 0;
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

void BodyPacer::settle(uint64_t sent)
{
    m_own.paid(m_ownTurnNs, sent);
    if (m_reserved > sent)
        refundShared(m_control.globalPaidUntilNs, m_reserved - sent, m_reservedRate);
    m_reserved = 0;
    if (m_tokenReserved > sent)
        refundShared(*m_token.paidUntilNs, m_tokenReserved - sent, m_token.rate);
    m_tokenReserved = 0;
    m_phase = Phase::OwnTurn;
}

} // namespace ferry::server
