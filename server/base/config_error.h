// The one exception type of the server: a configuration that cannot work (bad option, unusable root,
// address in use). Thrown only during start-up, before fork; main() turns it into a one-line message
// and the fatal-config exit code.
#pragma once

#include <stdexcept>

namespace ferry::server {

// what() is the one-line reason, naming the option, file or call.
class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

} // namespace ferry::server
