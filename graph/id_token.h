// Who signed in: the account name in an OpenID Connect id_token, for `appkeeper login` to show
// and the daemon to audit. Internal to graph/. Pure, thread-safe, never throws.
#pragma once

#include <string>
#include <string_view>

namespace appkeeper::graph {

// preferred_username, else upn, from the token's payload (its second base64url part); "" when
// the token is empty, malformed, or names no account.
std::string accountFromIdToken(std::string_view idToken);

}  // namespace appkeeper::graph
