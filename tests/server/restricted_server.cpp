// restricted-ferry-server: runs ferry-server (SERVER_BIN) under a seccomp filter that makes the kernel
// refuse one thing, for the tests of what the server does then (tst_server_restricted). Which thing comes
// from the environment, so that ServerProcess can start this binary like the server itself:
//   FERRY_TEST_REFUSE=close_range        close_range() fails with EPERM (as ENOSYS would before Linux 5.9)
//   FERRY_TEST_REFUSE=epoll_add_from:N   epoll_ctl(EPOLL_CTL_ADD) of an fd >= N fails with ENOSPC (as past
//                                        fs.epoll.max_user_watches)
// Plain POSIX, no Qt: every argument is passed on to the server. Exit 125 if the filter cannot be set up.
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <string>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <vector>

#if defined(__x86_64__)
constexpr unsigned Arch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr unsigned Arch = AUDIT_ARCH_AARCH64;
#else
#error "restricted-ferry-server: add this architecture's AUDIT_ARCH value"
#endif

namespace {

constexpr sock_filter load(unsigned offset) { return BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offset); }
constexpr sock_filter allow() { return BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW); }
constexpr sock_filter refuse(int error)
{
    return BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned(error) & SECCOMP_RET_DATA));
}
// The low 32 bits of system call argument `i` (little-endian).
constexpr unsigned argument(int i) { return unsigned(offsetof(seccomp_data, args) + 8 * i); }

// Another architecture's system call numbers mean something else: those are let through untouched.
std::vector<sock_filter> prologue(unsigned nr, unsigned otherwise)
{
    return {load(offsetof(seccomp_data, arch)), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, Arch, 0, uint8_t(otherwise + 2)),
            load(offsetof(seccomp_data, nr)), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, uint8_t(otherwise))};
}

std::vector<sock_filter> filterFor(const std::string &what)
{
    if (what == "close_range") {
        std::vector<sock_filter> f = prologue(SYS_close_range, 1);
        f.insert(f.end(), {refuse(EPERM), allow()});
        return f;
    }
    if (what.rfind("epoll_add_from:", 0) == 0) {
        const unsigned from = unsigned(std::strtoul(what.c_str() + 15, nullptr, 10));
        std::vector<sock_filter> f = prologue(SYS_epoll_ctl, 5);
        f.insert(f.end(), {load(argument(1)), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, EPOLL_CTL_ADD, 0, 3),
                           load(argument(2)), BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, from, 0, 1), refuse(ENOSPC),
                           allow()});
        return f;
    }
    return {};
}

} // namespace

int main(int argc, char **argv)
{
    (void)argc;
    const char *what = std::getenv("FERRY_TEST_REFUSE");
    std::vector<sock_filter> filter = filterFor(what ? what : "");
    if (filter.empty()) {
        std::fprintf(stderr, "restricted-ferry-server: FERRY_TEST_REFUSE must be close_range or epoll_add_from:N\n");
        return 125;
    }
    sock_fprog program{static_cast<unsigned short>(filter.size()), filter.data()};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) {
        std::fprintf(stderr, "restricted-ferry-server: installing the seccomp filter: %s\n", std::strerror(errno));
        return 125;
    }
    argv[0] = const_cast<char *>(SERVER_BIN);
    execv(SERVER_BIN, argv);
    std::fprintf(stderr, "restricted-ferry-server: execv(%s): %s\n", SERVER_BIN, std::strerror(errno));
    return 126;
}
