// FakeTransport: an in-memory HttpTransport for tests. It records every request sent (method,
// url, headers, body) and answers from a script: a queue of responses or errors consumed in
// order, then (when the queue is empty) an optional handler lambda, else a kInternal error that
// names the unexpected request so a test fails loudly instead of hanging or passing by accident.
//
// Typical use:
//   FakeTransport net;
//   net.respondJson(200, R"({"value":[]})");            // first request
//   net.respond(429, "", {{"Retry-After", "2"}});       // second request
//   net.fail(Error::transient("connection reset"));     // third request
//   net.setHandler([](const HttpRequest& r) { ... });   // everything after that
//   ... code under test ...
//   CHECK(net.requests().size() == 3);
//   CHECK(net.requests()[0].header("Authorization") == "Bearer t1");
//
// Thread-safe (one mutex): workers may share it. The handler runs outside the lock, so it may
// call back into the fake (e.g. to count requests).
#pragma once

#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "graph/http_transport.h"

namespace appkeeper::testing {

// A request as the fake saw it, with a case-insensitive header lookup.
struct RecordedRequest : graph::HttpRequest {
  // The first value of header `name`; empty when absent.
  std::string header(std::string_view name) const {
    return graph::findHeader(headers, name).value_or(std::string());
  }
  bool hasHeader(std::string_view name) const {
    return graph::findHeader(headers, name).has_value();
  }
};

class FakeTransport final : public graph::HttpTransport {
 public:
  using Handler = std::function<Result<graph::HttpResponse>(const graph::HttpRequest&)>;

  // Queue a response (any status) for the next unanswered request.
  void respond(int status, std::string body = {}, graph::Headers headers = {}) {
    push(graph::HttpResponse{status, std::move(headers), std::move(body)});
  }
  // Same, with Content-Type: application/json.
  void respondJson(int status, std::string body, graph::Headers headers = {}) {
    headers.emplace_back("Content-Type", "application/json");
    respond(status, std::move(body), std::move(headers));
  }
  void push(graph::HttpResponse response) {
    std::lock_guard lock(mu_);
    script_.emplace_back(std::move(response));
  }
  // Queue a transport error (timeout, reset, ...) for the next unanswered request.
  void fail(Error error) {
    std::lock_guard lock(mu_);
    script_.emplace_back(std::move(error));
  }
  // Answers requests once the queue is empty (e.g. route by URL).
  void setHandler(Handler handler) {
    std::lock_guard lock(mu_);
    handler_ = std::move(handler);
  }

  Result<graph::HttpResponse> send(const graph::HttpRequest& request) override {
    Handler handler;
    {
      std::lock_guard lock(mu_);
      RecordedRequest recorded;
      static_cast<graph::HttpRequest&>(recorded) = request;
      requests_.push_back(std::move(recorded));
      if (!script_.empty()) {
        auto next = std::move(script_.front());
        script_.pop_front();
        if (auto* response = std::get_if<graph::HttpResponse>(&next)) return *response;
        return std::get<Error>(next);
      }
      handler = handler_;
    }
    if (handler) return handler(request);
    return Error::internal("FakeTransport: no scripted answer for " + request.method + " " +
                           request.url);
  }

  // Every request sent so far, in order.
  std::vector<RecordedRequest> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  size_t requestCount() const {
    std::lock_guard lock(mu_);
    return requests_.size();
  }
  // The last request; a default one when nothing was sent.
  RecordedRequest lastRequest() const {
    std::lock_guard lock(mu_);
    return requests_.empty() ? RecordedRequest{} : requests_.back();
  }
  // Scripted answers not consumed yet (a test can assert the script was used up).
  size_t pending() const {
    std::lock_guard lock(mu_);
    return script_.size();
  }

 private:
  mutable std::mutex mu_;
  std::deque<std::variant<graph::HttpResponse, Error>> script_;  // guarded by mu_
  Handler handler_;                                              // guarded by mu_
  std::vector<RecordedRequest> requests_;                        // guarded by mu_
};

}  // namespace appkeeper::testing
