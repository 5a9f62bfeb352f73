# Man pages, Debian's per-package documents, and the Debian packages (CPack):
#   ferry-server  ferry-server, ferry-ctl, the systemd unit, sysusers.d entry, sample config, man pages
#   ferry-client  Ferry Downloader, ferry-get, desktop entry, icons, the ferry:// handler, man pages
#   ferry-admin   Ferry Admin, desktop entry, icons, man page
# Build them with scripts/package (or `cpack` in a configured build directory). Paths inside are for /usr
# whatever CMAKE_INSTALL_PREFIX is: CPack installs with the prefix /usr, and the unit's paths are worked
# out at install time (cmake/InstallServerFiles.cmake).

set(FERRY_PACKAGE_MAINTAINER "Ferry maintainers <maintainers@ferry.example.org>"
    CACHE STRING "Maintainer field of the Debian packages")

# Man pages, compressed as Debian wants them (-n: no name or time stamp, so builds are reproducible).
set(ferry_man_pages server:ferry-server.8 server:ferry-ctl.1)
if(FERRY_BUILD_GUI)
    list(APPEND ferry_man_pages client:ferry-client.1 client:ferry-get.1 admin:ferry-admin.1)
endif()
set(ferry_man_outputs)
foreach(entry IN LISTS ferry_man_pages)
    string(REPLACE ":" ";" parts "${entry}")
    list(GET parts 0 component)
    list(GET parts 1 page)
    string(REGEX REPLACE ".*\\.([0-9])$" "\\1" section "${page}")
    set(source "${PROJECT_SOURCE_DIR}/resources/man/${page}")
    set(output "${PROJECT_BINARY_DIR}/man/${page}.gz")
    add_custom_command(OUTPUT "${output}"
        COMMAND ${CMAKE_COMMAND} -E make_directory "${PROJECT_BINARY_DIR}/man"
        COMMAND gzip -9 -n -c "${source}" > "${output}"
        DEPENDS "${source}" VERBATIM)
    list(APPEND ferry_man_outputs "${output}")
    install(FILES "${output}" DESTINATION "${CMAKE_INSTALL_MANDIR}/man${section}" COMPONENT ${component})
endforeach()
add_custom_target(ferry-man-pages ALL DEPENDS ${ferry_man_outputs})

# /usr/share/doc/<package>/copyright and changelog.gz, which Debian requires of every package.
set(ferry_changelog_gz "${PROJECT_BINARY_DIR}/debian/changelog.gz")
add_custom_command(OUTPUT "${ferry_changelog_gz}"
    COMMAND ${CMAKE_COMMAND} -E make_directory "${PROJECT_BINARY_DIR}/debian"
    COMMAND gzip -9 -n -c "${PROJECT_SOURCE_DIR}/resources/debian/changelog" > "${ferry_changelog_gz}"
    DEPENDS "${PROJECT_SOURCE_DIR}/resources/debian/changelog" VERBATIM)
add_custom_target(ferry-debian-changelog ALL DEPENDS "${ferry_changelog_gz}")
set(ferry_components server)
if(FERRY_BUILD_GUI)
    list(APPEND ferry_components client admin)
endif()
foreach(component IN LISTS ferry_components)
    install(FILES "${PROJECT_SOURCE_DIR}/resources/debian/copyright" "${ferry_changelog_gz}"
            DESTINATION "${CMAKE_INSTALL_DATADIR}/doc/ferry-${component}" COMPONENT ${component})
endforeach()

# The server's maintainer scripts under the names dpkg expects (configure_file keeps their mode).
foreach(script IN ITEMS postinst prerm postrm conffiles)
    configure_file("${PROJECT_SOURCE_DIR}/resources/debian/ferry-server.${script}"
                   "${PROJECT_BINARY_DIR}/debian/server/${script}" COPYONLY)
endforeach()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ferry)
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "${FERRY_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL ${ferry_components})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # name_version_arch.deb
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # Depends from the binaries' libraries: ferry-server gets no Qt
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_SERVER_PACKAGE_NAME ferry-server)
set(CPACK_DEBIAN_SERVER_PACKAGE_SECTION net)
# procps: the unit's ExecReload runs /bin/kill, which a minimal Debian does not have.
set(CPACK_DEBIAN_SERVER_PACKAGE_DEPENDS procps)
# logrotate reads /etc/logrotate.d/ferry-server, the audit log's rotation rule.
set(CPACK_DEBIAN_SERVER_PACKAGE_SUGGESTS logrotate)
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_EXTRA
    "${PROJECT_BINARY_DIR}/debian/server/postinst;${PROJECT_BINARY_DIR}/debian/server/prerm;${PROJECT_BINARY_DIR}/debian/server/postrm;${PROJECT_BINARY_DIR}/debian/server/conffiles")
set(CPACK_DEBIAN_SERVER_DESCRIPTION "prefork server for downloading the files of a directory tree
ferry-server serves one directory tree, read-only, to many clients at once
over the Ferry protocol: a parent process accepts and hands connections to
a pool of pre-forked workers, which send files with sendfile. It includes
ferry-ctl, the command-line admin tool, a hardened systemd unit and a
Prometheus metrics endpoint. It needs no Qt.")

set(CPACK_DEBIAN_CLIENT_PACKAGE_NAME ferry-client)
set(CPACK_DEBIAN_CLIENT_PACKAGE_SECTION net)
# Merged with what dpkg-shlibdeps finds. The platform plugins are loaded at run time, so no library
# dependency names them, and libqt6gui6 only recommends them: without them no window opens.
set(CPACK_DEBIAN_CLIENT_PACKAGE_DEPENDS qt6-qpa-plugins)
set(CPACK_DEBIAN_CLIENT_DESCRIPTION "Ferry Downloader, desktop and command-line client for Ferry servers
Ferry Downloader browses a Ferry server and downloads its files with
progress bars, resume and verification; it opens ferry:// links.
ferry-get does the same on the command line, for scripts.")

set(CPACK_DEBIAN_ADMIN_PACKAGE_NAME ferry-admin)
set(CPACK_DEBIAN_ADMIN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_ADMIN_PACKAGE_DEPENDS qt6-qpa-plugins)
set(CPACK_DEBIAN_ADMIN_PACKAGE_SUGGESTS ferry-server)
set(CPACK_DEBIAN_ADMIN_DESCRIPTION "Ferry Admin, live worker status and pool control for ferry-server
Ferry Admin shows the workers of a running ferry-server on the same host
(state, client, file, progress), its scoreboard and recent history, and
lets an administrator change the pool, drain, reload or retire a worker.")

include(CPack)
