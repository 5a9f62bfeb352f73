#include "admin/admin_plane.h"

#include "adminproto/socket_path.h"
#include "base/log.h"

#include <grp.h>
#include <unistd.h>

namespace ferry::admin {

AdminPlane::AdminPlane(const server::Options &options) : m_options(options)
{
    if (options.adminSocket == "none")
        return;
    const bool explicitPath = !options.adminSocket.empty();
    m_path = explicitPath ? options.adminSocket : defaultAdminSocketPath();
    if (!options.adminGroup.empty()) {
        const group *g = ::getgrnam(options.adminGroup.c_str());
        if (!g)
            throw server::ConfigError("admin group '" + options.adminGroup + "' does not exist");
        m_group = g->gr_gid;
    }
    BoundSocket bound = bindAdminSocket(m_path, m_group);
    if (!bound.fd) {
        if (explicitPath)
            throw server::ConfigError(bound.error);
        LOG_WARN("admin plane disabled: %s (pass --admin-socket PATH)", bound.error.c_str());
        return;
    }
    m_listener = std::move(bound.fd);
}

AdminPlane::~AdminPlane()
{
    if (m_listener) // claimed but never attached (start-up failed)
        ::unlink(m_path.c_str());
}

AdminPlane::Running::~Running()
{
    server.reset(); // unlinks the socket
    backend.reset();
}

std::unique_ptr<AdminPlane::Running> AdminPlane::attach(server::Parent &parent, pool::PoolManager &pool)
{
    auto running = std::make_unique<Running>();
    running->backend = std::make_unique<ServerBackend>(parent, pool);
    if (!m_listener)
        return running;
    AdminOptions admin;
    admin.socketPath = m_path;
    admin.adminGroup = m_group;
    admin.adminGroupName = m_options.adminGroup;
    admin.auditLogPath = parent.auditLog().isEnabled() ? parent.auditLog().path() : std::string();
    running->server = std::make_unique<AdminServer>(parent.loop(), *running->backend, std::move(m_listener), admin);
    LOG_INFO("admin socket on %s", m_path.c_str());
    return running;
}

} // namespace ferry::admin
