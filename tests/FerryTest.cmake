# ferry_add_test(NAME name SOURCES ... [LIBS ...] [LABELS ...] [TIMEOUT s] [XVFB])
# XVFB: the suite runs on a real X server of its own (xvfb-run, Qt's xcb platform) instead of offscreen.
# Builds a Qt Test executable and registers it with CTest. Tests that start servers
# learn the binaries' paths from compile definitions, never from the PATH.
set(FERRY_TEST_RESULTS ${CMAKE_BINARY_DIR}/test-results)
file(MAKE_DIRECTORY ${FERRY_TEST_RESULTS})

function(ferry_add_test)
    cmake_parse_arguments(T "XVFB" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
    add_executable(${T_NAME} ${T_SOURCES})
    target_link_libraries(${T_NAME} PRIVATE Qt6::Test ${T_LIBS})
    target_include_directories(${T_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/tests/common)
    target_compile_definitions(${T_NAME} PRIVATE
        FERRY_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
        $<$<TARGET_EXISTS:ferry-server>:SERVER_BIN="$<TARGET_FILE:ferry-server>">
        $<$<TARGET_EXISTS:ferry-ctl>:CTL_BIN="$<TARGET_FILE:ferry-ctl>">
        $<$<TARGET_EXISTS:ferry-get>:GET_BIN="$<TARGET_FILE:ferry-get>">)
    # Each suite also writes its plain-text log to test-results/, where scripts/test reads the
    # counts and the skips (with their reasons) for its summary; ctest still shows it as usual.
    set(platform offscreen)
    set(wrapper)
    if(T_XVFB)
        find_program(FERRY_XVFB_RUN xvfb-run REQUIRED)
        set(platform xcb)
        set(wrapper ${FERRY_XVFB_RUN} -a -s "-screen 0 1280x1024x24 -nolisten tcp")
    endif()
    add_test(NAME ${T_NAME} COMMAND ${wrapper} $<TARGET_FILE:${T_NAME}>
        -o ${FERRY_TEST_RESULTS}/${T_NAME}.txt,txt -o -,txt)
    if(NOT T_TIMEOUT)
        set(T_TIMEOUT 300)
    endif()
    # FERRY_PLAINTEXT=1: the engine (and ferry-get run by a test) speaks plaintext Ferry, as the servers
    # the harness starts allow it (--plaintext allow); TLS suites unset it and pass --plaintext off.
    set_tests_properties(${T_NAME} PROPERTIES TIMEOUT ${T_TIMEOUT} LABELS "${T_LABELS}"
        ENVIRONMENT "QT_QPA_PLATFORM=${platform};FERRY_PLAINTEXT=1")
endfunction()
