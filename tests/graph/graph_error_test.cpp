#include "graph/graph_error.h"

#include <catch2/catch.hpp>

using namespace appkeeper;
using namespace appkeeper::graph;
using std::chrono::milliseconds;

namespace {
const WallTime kNow = fromUnixMillis(1'800'000'000'000);

HttpResponse answer(int status, std::string body, Headers headers = {}) {
  return HttpResponse{status, std::move(headers), std::move(body)};
}

const char* kConsentBody = R"({"error":{"code":"BadRequest",
  "message":"The required permissions have not been consented to by the caller.",
  "innerError":{"code":"InvalidRequest","message":"...","details":[],"date":"2024-04-18T21:08:55",
  "request-id":"8c27d813-d34c-46a2-9906-6125ca6201a1",
  "client-request-id":"68de58a8-c163-9b37-9c4b-2dafb406a888"}}})";
}  // namespace

TEST_CASE("a Graph error body yields code, inner code, request id and message", "[graph][errors]") {
  Error e =
      parseGraphError(answer(400, kConsentBody), "POST /teams/t/installedApps/i/upgrade", kNow);
  CHECK(e.httpStatus == 400);
  CHECK(e.code == "BadRequest");
  CHECK(e.innerCode == "InvalidRequest");
  CHECK(e.requestId == "8c27d813-d34c-46a2-9906-6125ca6201a1");
  CHECK(e.kind == ErrorKind::kPermanent);
  CHECK_THAT(e.message, Catch::Contains("400 BadRequest/InvalidRequest") &&
                            Catch::Contains("POST /teams/t/installedApps/i/upgrade") &&
                            Catch::Contains("have not been consented"));
}

TEST_CASE("the request-id header wins over the body's", "[graph][errors]") {
  Error e =
      parseGraphError(answer(403, kConsentBody, {{"Request-Id", "from-header"}}), "GET /x", kNow);
  CHECK(e.requestId == "from-header");
}

TEST_CASE("the documented lower-case innererror spelling is read too", "[graph][errors]") {
  Error e = parseGraphError(
      answer(403, R"({"error":{"code":"Forbidden","innererror":{"code":"AccessDenied"}}})"),
      "GET /x", kNow);
  CHECK(e.code == "Forbidden");
  CHECK(e.innerCode == "AccessDenied");
}

TEST_CASE("missing, garbage and oddly typed error bodies still give the status",
          "[graph][errors]") {
  for (const char* body : {"", "<html>Bad gateway</html>", "{\"error\":\"string\"}", "[1,2]",
                           "{\"error\":{\"code\":7,\"message\":[],\"innerError\":\"x\"}}",
                           "{\"error\":{\"code\":\"X\"", "null"}) {
    INFO(body);
    Error e = parseGraphError(answer(502, body), "GET /teams", kNow);
    CHECK(e.httpStatus == 502);
    CHECK(e.kind == ErrorKind::kTransient);
    CHECK(e.innerCode.empty());
    CHECK_THAT(e.message, Catch::Contains("Graph answered 502") && Catch::Contains("GET /teams"));
  }
}

TEST_CASE("Graph's message is sanitised and bounded", "[graph][errors]") {
  std::string longMessage(5000, 'x');
  Error e = parseGraphError(
      answer(404, R"({"error":{"code":"NotFound","message":"line1\nline2)" + longMessage + "\"}}"),
      "GET /x", kNow);
  CHECK(e.message.find('\n') == std::string::npos);
  CHECK(e.message.size() < 500);
}

TEST_CASE("Retry-After is carried on the error", "[graph][errors]") {
  Error e = parseGraphError(
      answer(429, R"({"error":{"code":"TooManyRequests"}})", {{"Retry-After", "7"}}), "GET /x",
      kNow);
  CHECK(e.retryAfter == milliseconds(7000));
  CHECK(e.kind == ErrorKind::kTransient);
}

TEST_CASE("statuses classify as transient or permanent per the decisions", "[graph][errors]") {
  struct Row {
    int status;
    const char* inner;
    ErrorKind kind;
  };
  for (const Row& row :
       {Row{429, "", ErrorKind::kTransient}, Row{500, "", ErrorKind::kTransient},
        Row{502, "", ErrorKind::kTransient}, Row{503, "", ErrorKind::kTransient},
        Row{504, "", ErrorKind::kTransient}, Row{408, "", ErrorKind::kTransient},
        // Decision 10: the bulk-load 400 with an empty innerError is retried.
        Row{400, "", ErrorKind::kTransient}, Row{400, "SomethingElse", ErrorKind::kTransient},
        // Decision 4: the consent mismatch never is.
        Row{400, "InvalidRequest", ErrorKind::kPermanent},
        Row{400, "invalidRequest", ErrorKind::kPermanent}, Row{401, "", ErrorKind::kPermanent},
        Row{403, "AccessDenied", ErrorKind::kPermanent}, Row{404, "", ErrorKind::kPermanent},
        Row{409, "", ErrorKind::kPermanent}, Row{412, "", ErrorKind::kPermanent},
        Row{418, "", ErrorKind::kPermanent}, Row{302, "", ErrorKind::kPermanent}}) {
    INFO(row.status << " " << row.inner);
    CHECK(classifyGraphStatus(row.status, row.inner) == row.kind);
  }
}
