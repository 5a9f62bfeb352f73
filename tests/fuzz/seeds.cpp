// Writes each test vector of shared/protocol/vectors.txt as a fuzz seed: the control
// byte (see fuzz_decoder.cpp) then the vector's bytes: whole, split, and split with
// bodies read directly.
#include "vectorfile.h"

#include <cstdio>
#include <fstream>
#include <sstream>

int main(int argc, char **argv)
{
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s VECTORS_FILE OUTPUT_DIR\n", argv[0]);
        return 2;
    }
    std::ifstream in(argv[1], std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) {
        std::fprintf(stderr, "fuzz-seeds: cannot read %s\n", argv[1]);
        return 1;
    }
    std::vector<ferry::proto::testing::Vector> vectors;
    std::string error;
    if (!ferry::proto::testing::parseVectors(text.str(), vectors, error)) {
        std::fprintf(stderr, "fuzz-seeds: %s: %s\n", argv[1], error.c_str());
        return 1;
    }
    for (const auto &vector : vectors) {
        for (const uint8_t control : {uint8_t(0), uint8_t(0x07), uint8_t(0x47)}) {
            const std::string path = std::string(argv[2]) + "/" + vector.name + "-" + std::to_string(control);
            std::ofstream out(path, std::ios::binary);
            out.put(char(control));
            out.write(reinterpret_cast<const char *>(vector.bytes.data()), std::streamsize(vector.bytes.size()));
            if (!out) {
                std::fprintf(stderr, "fuzz-seeds: cannot write %s\n", path.c_str());
                return 1;
            }
        }
    }
    std::printf("fuzz-seeds: %zu vectors written to %s\n", vectors.size(), argv[2]);
    return 0;
}
