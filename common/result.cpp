#include "common/result.h"

namespace appkeeper {

const char* toString(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidInput: return "invalid-input";
    case ErrorKind::kTransient: return "transient";
    case ErrorKind::kPermanent: return "permanent";
    case ErrorKind::kInternal: return "internal";
  }
  return "unknown";
}

}  // namespace appkeeper
