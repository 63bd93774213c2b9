// Random (version 4) GUIDs for client-request-id headers. Thread-safe when the Random is.
#pragma once

#include <string>

#include "common/random.h"

namespace appkeeper::graph {

// "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", lower-case hex.
std::string newGuid(Random& random);

}  // namespace appkeeper::graph
