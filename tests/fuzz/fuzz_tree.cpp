#include "fuzz_tree.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ferry::fuzz {

namespace {

std::string base;

[[noreturn]] void cannot(const std::string &what)
{
    std::perror(("fuzz tree: " + what).c_str());
    std::abort();
}

void writeFile(const std::string &path, const std::string &content)
{
    std::ofstream out(path, std::ios::binary);
    out << content;
    if (!out)
        cannot("writing " + path);
}

void link(const std::string &target, const std::string &path)
{
    if (::symlink(target.c_str(), path.c_str()) != 0)
        cannot("symlink " + path);
}

void removeAll()
{
    nftw(base.c_str(), [](const char *path, const struct stat *, int, FTW *) { return ::remove(path); }, 16,
         FTW_DEPTH | FTW_PHYS);
}

FuzzTree build()
{
    const char *tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/ferry-fuzz-XXXXXX";
    if (!::mkdtemp(pattern.data()))
        cannot("mkdtemp");
    base = pattern;
    std::atexit(removeAll);
    FuzzTree tree{base + "/root", base + "/outside"};
    for (const std::string &dir : {tree.root, tree.outside, tree.root + "/dir", tree.root + "/dir/sub"}) {
        if (::mkdir(dir.c_str(), 0755) != 0)
            cannot("mkdir " + dir);
    }
    writeFile(tree.outside + "/secret", SecretMarker);
    writeFile(tree.root + "/file.txt", "hello, ferry\n");
    writeFile(tree.root + "/empty", "");
    writeFile(tree.root + "/.hidden", "hidden\n");
    writeFile(tree.root + "/dir/inner.bin", std::string(5000, 'i'));
    writeFile(tree.root + "/dir/sub/deep.txt", "deep\n");
    if (::mkfifo((tree.root + "/fifo").c_str(), 0644) != 0)
        cannot("mkfifo");
    link("file.txt", tree.root + "/link-in");
    link(tree.root + "/file.txt", tree.root + "/link-abs-in");
    link("../outside/secret", tree.root + "/link-out");
    link(tree.outside + "/secret", tree.root + "/link-abs-out");
    link("..", tree.root + "/dir/up");
    link("../../outside", tree.root + "/dir/out-dir");
    link("loop", tree.root + "/loop");
    link("nowhere", tree.root + "/broken");
    return tree;
}

} // namespace

const FuzzTree &fuzzTree()
{
    static const FuzzTree tree = build();
    return tree;
}

} // namespace ferry::fuzz
