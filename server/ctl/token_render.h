// ferry-ctl's text for the token commands (docs/ADMIN.md §5.7–5.9). Pure: JSON in, text out.
#pragma once

#include "adminproto/json.h"

#include <cstdint>
#include <string>

namespace ferry::ctl {

// token_create's reply: the id, what it grants, the secret (shown only now) and the link.
std::string renderTokenCreated(const admin::Json &reply);
// token_list's tokens, one row each; `nowMs` decides how expiries read ("in 6d 23h", "expired").
std::string renderTokenList(const admin::Json &tokens, int64_t nowMs);
// token_revoke's reply, one line.
std::string renderTokenRevoked(const admin::Json &reply);

} // namespace ferry::ctl
