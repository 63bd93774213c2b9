#include "emulator/http_types.h"

namespace appkeeper::emulator {

Response graphError(const RequestContext& ctx, int status, const std::string& code,
                    const std::string& message, const std::string& innerCode) {
  nlohmann::json inner = {{"date", ctx.date}, {"request-id", ctx.requestId}};
  if (!ctx.clientRequestId.empty()) inner["client-request-id"] = ctx.clientRequestId;
  if (!innerCode.empty()) {
    inner["code"] = innerCode;
    inner["message"] = message;
  }
  Response r = Response::json(status, {{"error", {{"code", code}, {"message", message},
                                                  {"innerError", inner}}}});
  r.headers.emplace_back("request-id", ctx.requestId);
  return r;
}

}  // namespace appkeeper::emulator
