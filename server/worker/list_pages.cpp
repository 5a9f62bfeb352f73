#include "worker/list_pages.h"

#include "worker/request_handler.h"

#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>

namespace ferry::server {

namespace {

// A LIST_PAGE is sent when its entries reach about this many payload bytes: far below the frame
// limit, small enough that a 100,000-entry directory streams page by page.
constexpr size_t PageBudget = 32 * 1024;
constexpr size_t EntryOverhead = 32; // kind, size, mtime, name length, with margin

} // namespace

ListPages::ListPages(const Jail &jail, DirHandle dir, WorkerSlot &slot)
    : m_jail(jail), m_dir(std::move(dir)), m_slot(&slot)
{
}

bool ListPages::statListed(const dirent &item, struct stat &info) const
{
    const int directoryFd = dirfd(m_dir.get());
    if (item.d_type == DT_LNK) { // show what a link leads to, but only if it stays in the tree
        Opened target = m_jail.statEntry(directoryFd, item.d_name);
        info = target.info;
        return target.error == proto::ErrorCode::Ok;
    }
    return fstatat(directoryFd, item.d_name, &info, AT_SYMLINK_NOFOLLOW) == 0; // false: vanished meanwhile
}

IoOutcome ListPages::sendNext(ClientIo &io, bool &done)
{
    proto::ListPage page;
    size_t pageBytes = 0;
    while (pageBytes < PageBudget) {
        const dirent *item = readdir(m_dir.get());
        if (!item) {
            page.last = true;
            break;
        }
        const char *name = item->d_name;
        if (std::strcmp(name, ".") == 0 || std::strcmp(name, "..") == 0 || !m_jail.isListed(name))
            continue;
        struct stat info {};
        if (!statListed(*item, info))
            continue;
        page.entries.push_back(entryFor(name, info));
        pageBytes += EntryOverhead + page.entries.back().name.size();
    }
    const IoOutcome sent = io.sendMessage(page);
    m_listed += page.entries.size();
    if (m_slot)
        m_slot->bytesSent.store(m_listed, std::memory_order_relaxed);
    done = page.last;
    return sent;
}

} // namespace ferry::server
