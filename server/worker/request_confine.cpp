// RequestHandler, where a request's path lies in the connection's grant (docs/SECURITY.md "The access
// model"): outside it, UNAUTHORIZED by the spelling alone; inside, the jail to resolve the rest in. A
// granted subtree is a directory (its own jail, so nothing resolved there leaves it) or one regular file
// (a token for "the keynote"): then the file's name is resolved beneath its folder's jail, so a symbolic
// link at that name which leads out of the folder is FORBIDDEN, and nothing below the file is granted.
#include "worker/request_handler.h"

namespace ferry::server {

using proto::ErrorCode;

AfterRequest RequestHandler::refuseOutsideGrant(ClientIo &io)
{
    return sendError(io, ErrorCode::Unauthorized,
                     m_session->access.hasToken() ? "this token does not grant access to that path"
                                                  : "that path needs an access token");
}

bool RequestHandler::confine(ClientIo &io, const std::string &path, Confined &where, AfterRequest &refused)
{
    std::optional<GrantedPath> granted = locateInGrant(m_session->access.grant, path);
    if (!granted) {
        refused = refuseOutsideGrant(io);
        return false;
    }
    where.path = granted->rest;
    where.jail = &m_jail;
    if (granted->subtree.empty())
        return true;
    Opened refusal;
    where.subtreeJail = m_jail.beneath(granted->subtree, refusal);
    if (where.subtreeJail) {
        where.jail = &*where.subtreeJail;
        return true;
    }
    if (refusal.error == ErrorCode::NotADirectory) // perhaps one file: judged beneath its own folder
        return confineToFile(io, path, *granted, where, refused);
    refused = sendError(io, refusal.error, refusal.message);
    return false;
}

bool RequestHandler::confineToFile(ClientIo &io, const std::string &path, const GrantedPath &granted,
                                   Confined &where, AfterRequest &refused)
{
    // Below a file nothing exists; the grant names the file alone, so "file/x" and "file/." are outside
    // (the grant's own name is no secret to whoever holds it).
    if (!granted.rest.empty()) {
        refused = refuseOutsideGrant(io);
        return false;
    }
    const std::string &subtree = granted.subtree;
    const size_t slash = subtree.rfind('/');
    const std::string name = slash == std::string::npos ? subtree : subtree.substr(slash + 1);
    where.jail = &m_jail; // a file at the top: the root is its folder
    if (slash != std::string::npos) {
        Opened refusal;
        where.subtreeJail = m_jail.beneath(subtree.substr(0, slash), refusal);
        if (!where.subtreeJail) {
            refused = sendError(io, refusal.error, refusal.message);
            return false;
        }
        where.jail = &*where.subtreeJail;
    }
    Opened file = where.jail->stat(name);
    if (file.error == ErrorCode::Ok && !S_ISREG(file.info.st_mode)) { // a FIFO, a device: never served
        file.error = ErrorCode::NotADirectory;
        file.message = "'" + subtree + "' is neither a directory nor a regular file";
    }
    if (file.error != ErrorCode::Ok) {
        refused = sendError(io, file.error, file.message);
        return false;
    }
    // "file/" is the file's name spelled as a folder's: the jail answers it as it does without a token.
    where.path = name + (path.ends_with('/') ? "/" : "");
    where.isFile = true;
    return true;
}

} // namespace ferry::server
