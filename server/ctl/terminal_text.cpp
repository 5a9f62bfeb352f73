#include "ctl/terminal_text.h"

namespace ferry::ctl {

std::string shownMember(const admin::Json &object, const char *key)
{
    return terminalText(admin::textMember(object, key));
}

} // namespace ferry::ctl
