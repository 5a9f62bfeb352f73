# Run at install time (cmake --install, and cpack for the packages), not at configure time: the unit's
# paths must be those of the prefix installed to, which `cmake --install --prefix` may change.
# Expects ferry_resources (resources/ in the source tree) and ferry_staging (a scratch directory).
#
# Prefix /usr (the packages): /etc, /lib/systemd/system, /usr/lib/sysusers.d (Debian 12's places).
# Any other prefix P: P/etc, P/lib/systemd/system (systemd also reads /usr/local/lib/systemd/system),
# P/lib/sysusers.d (not read by systemd-sysusers on its own: docs/OPERATIONS.md says how to apply it).
set(prefix "${CMAKE_INSTALL_PREFIX}")
if(prefix STREQUAL "/usr")
    set(sysconfdir /etc)
    set(unitdir /lib/systemd/system)
    set(sysusersdir /usr/lib/sysusers.d)
else()
    set(sysconfdir "${prefix}/etc")
    set(unitdir "${prefix}/lib/systemd/system")
    set(sysusersdir "${prefix}/lib/sysusers.d")
endif()
set(FERRY_SBINDIR "${prefix}/sbin")
set(FERRY_CONFIG "${sysconfdir}/ferry/ferry-server.conf")

# One scratch directory per destination, so that installs to different places at once (cpack while
# `cmake --install` runs) never share a generated unit.
string(MD5 destination "$ENV{DESTDIR}|${prefix}")
set(staged "${ferry_staging}/${destination}")
configure_file("${ferry_resources}/ferry-server.service.in" "${staged}/ferry-server.service" @ONLY)
file(INSTALL "${staged}/ferry-server.service" DESTINATION "${unitdir}" FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
file(INSTALL "${ferry_resources}/ferry-server.sysusers" DESTINATION "${sysusersdir}"
     RENAME ferry-server.conf FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

# logrotate's rule for the audit log (a conffile in the package, like the configuration).
file(INSTALL "${ferry_resources}/ferry-server.logrotate" DESTINATION "${sysconfdir}/logrotate.d"
     RENAME ferry-server FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

# The sample configuration goes in place only when there is none: an edited config is never overwritten.
# (In the package it is a conffile, and dpkg takes care of local changes.)
if(EXISTS "$ENV{DESTDIR}${FERRY_CONFIG}")
    message(STATUS "Keeping: $ENV{DESTDIR}${FERRY_CONFIG}")
else()
    file(INSTALL "${ferry_resources}/ferry-server.conf" DESTINATION "${sysconfdir}/ferry"
         FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endif()
