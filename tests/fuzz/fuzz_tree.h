// A served tree for the request fuzzer, made once per process under $TMPDIR and removed at exit: files,
// a hidden file, an empty file, a directory, a FIFO, and symbolic links that stay inside the root, lead
// out of it (relatively and absolutely), loop or dangle. Beside the root lies a file whose content must
// never reach a client.
#pragma once

#include <string>

namespace ferry::fuzz {

struct FuzzTree {
    std::string root;    // the served root, absolute
    std::string outside; // a directory beside it, holding "secret"
};

// Marks the content of outside/secret; a response holding it has escaped the jail.
constexpr const char *SecretMarker = "OUTSIDE-THE-ROOT-7f3a9c";

// Builds the tree on first use; aborts if it cannot (the fuzzer would test nothing).
const FuzzTree &fuzzTree();

} // namespace ferry::fuzz
