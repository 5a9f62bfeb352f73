// without-close-range: runs ferry-server (SERVER_BIN) with the close_range system call refused with EPERM by a
// seccomp filter, for the test that a worker unable to close the parent's descriptors refuses to serve.
// Plain POSIX, no Qt: usage is that of ferry-server, every argument is passed on.
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
constexpr unsigned Arch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr unsigned Arch = AUDIT_ARCH_AARCH64;
#else
#error "without-close-range: add this architecture's AUDIT_ARCH value"
#endif

int main(int argc, char **argv)
{
    (void)argc;
    sock_filter filter[] = {
        // Another architecture's system call numbers mean something else: let those through untouched.
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, Arch, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_close_range, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog program{static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) {
        std::fprintf(stderr, "without-close-range: installing the seccomp filter: %s\n", std::strerror(errno));
        return 125;
    }
    argv[0] = const_cast<char *>(SERVER_BIN);
    execv(SERVER_BIN, argv);
    std::fprintf(stderr, "without-close-range: execv(%s): %s\n", SERVER_BIN, std::strerror(errno));
    return 126;
}
