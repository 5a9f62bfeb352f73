#include "ctl/terminal_json.h"

namespace ferry::ctl {

std::string terminalJson(const admin::Json &value)
{
    return terminalJsonText(admin::dumpJson(value));
}

} // namespace ferry::ctl
