// RequestHandler, LIST on the way to a grant (docs/PROTOCOL.md §10.7, docs/SECURITY.md "The access
// model"): a connection that may read only some subtrees (--anonymous releases,docs/public, or a scoped
// token) and LISTs an ancestor of them ("" above all) sees the entries that lead there and nothing else,
// so a client can browse from the root to where it may go. A token for one file makes its folder list
// that file alone.
#include "worker/request_handler.h"

#include <algorithm>

namespace ferry::server {

AfterRequest RequestHandler::listToward(ClientIo &io, const std::string &path, const std::vector<std::string> &names)
{
    beginRequest(path, 0);
    proto::ListPage page;
    page.last = true;
    std::string base; // the ancestor in normal form ("docs//" is "docs"), "" for the root
    for (size_t begin = 0; begin < path.size();) {
        const size_t end = std::min(path.find('/', begin), path.size());
        if (end > begin)
            base.append(base.empty() ? "" : "/").append(path, begin, end - begin);
        begin = end + 1;
    }
    std::optional<Jail> folder; // `base`'s own jail, opened for the first entry that is not a directory
    for (const std::string &name : names) {
        if (!m_jail.isListed(name))
            continue;
        // What a LIST of the directory would show: an entry that does not exist (or that the jail refuses,
        // such as a link out of the root) is left out, as a LIST leaves out what it cannot show.
        Opened target = m_jail.stat(base.empty() ? name : base + "/" + name);
        if (target.error == proto::ErrorCode::Ok && !S_ISDIR(target.info.st_mode)) {
            // A granted file is resolved beneath its folder (request_confine.cpp): shown only as that
            // finds it, so a link out of the folder shows nothing of what it leads to.
            if (!base.empty()) { // at the top, the root's jail is the folder's
                Opened refusal;
                if (!folder)
                    folder = m_jail.beneath(base, refusal);
                target = folder ? folder->stat(name) : std::move(refusal);
            }
            if (target.error == proto::ErrorCode::Ok && !S_ISREG(target.info.st_mode))
                continue; // a FIFO or a device: no grant of one is served
        }
        if (target.error == proto::ErrorCode::Ok)
            page.entries.push_back(entryFor(name.c_str(), target.info));
    }
    return replied(io.sendMessage(page));
}

} // namespace ferry::server
