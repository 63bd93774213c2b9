// ASCII case helpers for protocol tokens (header names, OData enum values, URL schemes, OAuth
// scopes), shared by the client, the daemon and the emulator: locale independent, byte-wise. Pure,
// thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace appkeeper {

std::string toLowerAscii(std::string_view s);
bool equalsIgnoreCaseAscii(std::string_view a, std::string_view b);
// 0-15 for a hex digit of either case, -1 otherwise (percent-decoding).
int hexDigitValue(char c);

}  // namespace appkeeper
