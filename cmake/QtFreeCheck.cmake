# The server side must never link Qt: a server host installs no Qt at all.
# Checked at configure time over each server target's direct and interface links.
foreach(target IN ITEMS ferry-server ferry-ctl ferry-protocol ferry-base ferry-config ferry-net
                     ferry-ipc ferry-worker ferry-policy ferry-parent ferry-pool ferry-adminproto ferry-admin)
    if(NOT TARGET ${target})
        continue()
    endif()
    get_target_property(links ${target} LINK_LIBRARIES)
    get_target_property(ilinks ${target} INTERFACE_LINK_LIBRARIES)
    foreach(lib IN LISTS links ilinks)
        if(lib MATCHES "^Qt[0-9]*::|Qt6")
            message(FATAL_ERROR "${target} links ${lib}: server targets must stay Qt-free")
        endif()
    endforeach()
endforeach()
