// Wires the admin plane into ferry-server: claims the admin socket (before the Parent exists, so that a
// live socket stops start-up early), then attaches the backend and the socket server to the Parent's loop
// and its pool manager. main() is the only user.
#pragma once

#include "admin/admin_server.h"
#include "admin/server_backend.h"
#include "config/options.h"
#include "parent/parent.h"
#include "pool/pool_manager.h"

#include <memory>
#include <optional>
#include <sys/types.h>
#include <string>

namespace ferry::admin {

class AdminPlane {
public:
    // Claims the socket named by --admin-socket (or the default). Throws server::ConfigError when an
    // explicitly named socket is in use or cannot be created. The default socket being in use by another
    // server only disables the admin plane of this one, with a warning: several servers may share a host.
    explicit AdminPlane(const server::Options &options);
    ~AdminPlane();
    AdminPlane(const AdminPlane &) = delete;
    AdminPlane &operator=(const AdminPlane &) = delete;

    // The running admin plane: backend and (if a socket was claimed) the admin server. Must be destroyed
    // before the Parent and the pool manager (it lives on the Parent's loop): declare it after both.
    class Running {
    public:
        ~Running();
        std::unique_ptr<ServerBackend> backend;
        std::unique_ptr<AdminServer> server;
    };
    std::unique_ptr<Running> attach(server::Parent &parent, pool::PoolManager &pool);

private:
    server::Options m_options;
    std::string m_path;
    server::UniqueFd m_listener;
    std::optional<gid_t> m_group;
};

} // namespace ferry::admin
