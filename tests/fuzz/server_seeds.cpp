// Writes the seed corpora of the three server fuzz targets, in the input formats their files describe:
//   OUT/admin    the request lines of docs/ADMIN.md's examples ("> " lines), one seed each and all together
//   OUT/request  every request type over the paths of fuzz_tree.h that matter (in, out, hidden, odd)
//   OUT/handoff  datagrams exactly as sendHandoff() writes them, each kind, with and without an fd
#include "ipc/handoff.h"

#include <sys/socket.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace ferry::server;

namespace {

bool writeSeed(const std::string &path, const std::string &bytes)
{
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), std::streamsize(bytes.size()));
    if (!out)
        std::fprintf(stderr, "fuzz-server-seeds: cannot write %s\n", path.c_str());
    return bool(out);
}

bool adminSeeds(const std::string &adminDoc, const std::string &dir)
{
    std::ifstream in(adminDoc);
    std::string line, all;
    int count = 0;
    while (std::getline(in, line)) {
        if (line.rfind("> ", 0) != 0)
            continue;
        const std::string request = line.substr(2) + "\n";
        all += request;
        if (!writeSeed(dir + "/doc-" + std::to_string(count++), std::string(1, '\0') + request))
            return false;
    }
    if (count == 0) {
        std::fprintf(stderr, "fuzz-server-seeds: no request lines in %s\n", adminDoc.c_str());
        return false;
    }
    return writeSeed(dir + "/doc-all", std::string(1, '\0') + all) && writeSeed(dir + "/doc-all-split", "\x03" + all);
}

std::string bigEndian(uint64_t value)
{
    std::string bytes(8, '\0');
    for (int i = 7; i >= 0; --i, value >>= 8)
        bytes[size_t(i)] = char(value & 0xFF);
    return bytes;
}

bool requestSeeds(const std::string &dir)
{
    const std::vector<std::string> paths = {"", "file.txt", "dir", "dir/inner.bin", "dir/sub/deep.txt", "empty",
        ".hidden", "fifo", "link-in", "link-abs-in", "link-out", "link-abs-out", "dir/up", "dir/up/file.txt",
        "dir/out-dir/secret", "loop", "broken", "missing", "../outside/secret", "/etc/passwd", "dir/../file.txt",
        "./file.txt", "dir//inner.bin", "dir/", std::string("file.txt\0x", 10)};
    int count = 0;
    for (uint8_t type = 0; type < 6; ++type) {
        for (const std::string &path : paths) {
            const std::string seed = std::string(1, char(type)) + '\x01' + bigEndian(type == 2 ? 3 : 0)
                + bigEndian(UINT64_MAX) + path;
            if (!writeSeed(dir + "/request-" + std::to_string(count++), seed))
                return false;
        }
    }
    return true;
}

bool handoffSeeds(const std::string &dir)
{
    UniqueFd a, b;
    if (makeChannel(a, b) != 0)
        return false;
    int count = 0;
    for (uint32_t kind = 1; kind <= 5; ++kind) {
        for (const bool withFd : {false, true}) {
            HandoffMessage message;
            message.kind = HandoffKind(kind);
            message.connectionId = 40 + kind;
            message.peer = "127.0.0.1:5" + std::to_string(kind);
            if (kind <= 2)
                message.bytes = {0xF7, 0x02, 0, 0, 0, 0, 0, 2, 0, 0};
            if (withFd)
                message.fd = UniqueFd(::dup(0));
            if (sendHandoff(a.get(), message) != 0)
                return false;
            std::string datagram(MaxHandoffBytes + 256, '\0');
            const ssize_t got = ::recv(b.get(), datagram.data(), datagram.size(), MSG_CMSG_CLOEXEC);
            if (got <= 0)
                return false;
            datagram.resize(size_t(got)); // an fd that came along is dropped with the process
            const std::string seed = std::string(1, char(withFd ? 1 : 0)) + datagram;
            if (!writeSeed(dir + "/handoff-" + std::to_string(count++), seed))
                return false;
        }
    }
    return true;
}

} // namespace

int main(int argc, char **argv)
{
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s ADMIN_MD OUTPUT_DIR (with admin/, request/, handoff/ in it)\n", argv[0]);
        return 2;
    }
    const std::string out = argv[2];
    if (!adminSeeds(argv[1], out + "/admin") || !requestSeeds(out + "/request") || !handoffSeeds(out + "/handoff"))
        return 1;
    std::printf("fuzz-server-seeds: seeds written to %s/{admin,request,handoff}\n", out.c_str());
    return 0;
}
