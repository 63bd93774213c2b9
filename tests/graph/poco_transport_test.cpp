// The Poco transport against real servers on 127.0.0.1 port 0: a Poco HTTPServer for normal
// answers and a raw socket server for misbehaviour (silence, stalls, short bodies). TLS and
// certificate verification: tls_verification_test.cpp.
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "graph/http_transport.h"

using namespace appkeeper;
using namespace appkeeper::graph;
using std::chrono::milliseconds;

namespace {

// What the handler sees; returns the body to send.
using Handle = std::function<void(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&)>;

class LambdaHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit LambdaHandler(Handle handle) : handle_(std::move(handle)) {}
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    try {
      handle_(request, response);
    } catch (...) {
      // A test handler must never leave Poco without an answer.
      if (!response.sent()) response.send();
    }
  }

 private:
  Handle handle_;
};

class LambdaFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit LambdaFactory(Handle handle) : handle_(std::move(handle)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new LambdaHandler(handle_);
  }

 private:
  Handle handle_;
};

// A Poco HTTP server on 127.0.0.1, port chosen by the OS; stopped on destruction.
class TestServer {
 public:
  explicit TestServer(Handle handle)
      : socket_(Poco::Net::SocketAddress("127.0.0.1", 0)),
        server_(new LambdaFactory(std::move(handle)), socket_, new Poco::Net::HTTPServerParams) {
    server_.start();
  }
  ~TestServer() { server_.stopAll(true); }
  uint16_t port() const { return socket_.address().port(); }
  std::string url(const std::string& scheme, const std::string& target) const {
    return scheme + "://127.0.0.1:" + std::to_string(port()) + target;
  }

 private:
  Poco::Net::ServerSocket socket_;
  Poco::Net::HTTPServer server_;
};

// A raw TCP server that runs `behave` on each accepted connection (one at a time, at most
// `maxConnections`), for answers no well-behaved server gives. `release()` (and the destructor)
// ends any behaviour waiting in `waitForRelease`.
class RawServer {
 public:
  using Behave = std::function<void(Poco::Net::StreamSocket&, RawServer&)>;
  RawServer(Behave behave, int maxConnections = 1)
      : socket_(Poco::Net::SocketAddress("127.0.0.1", 0)),
        thread_([this, behave = std::move(behave), maxConnections] {
          for (int i = 0; i < maxConnections; ++i) {
            try {
              // Bounded: a test that never connects frees the thread after 10 s.
              if (!socket_.poll(Poco::Timespan(10, 0), Poco::Net::Socket::SELECT_READ)) return;
              Poco::Net::StreamSocket connection = socket_.acceptConnection();
              behave(connection, *this);
            } catch (...) {
              return;
            }
          }
        }) {}
  ~RawServer() {
    release();
    thread_.join();
  }
  uint16_t port() const { return socket_.address().port(); }
  std::string url(const std::string& target = "/") const {
    return "http://127.0.0.1:" + std::to_string(port()) + target;
  }
  void release() {
    {
      std::lock_guard lock(mu_);
      released_ = true;
    }
    cv_.notify_all();
  }
  void waitForRelease() {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(10), [this] { return released_; });
  }
  // Reads until the end of the request headers (bounded by size and the socket timeout).
  static void readRequestHead(Poco::Net::StreamSocket& s) {
    s.setReceiveTimeout(Poco::Timespan(5, 0));
    std::string head;
    char buffer[1024];
    while (head.find("\r\n\r\n") == std::string::npos && head.size() < 65536) {
      int n = s.receiveBytes(buffer, sizeof buffer);
      if (n <= 0) return;
      head.append(buffer, static_cast<size_t>(n));
    }
  }

 private:
  Poco::Net::ServerSocket socket_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool released_ = false;  // guarded by mu_
  std::thread thread_;
};

void answer(Poco::Net::HTTPServerResponse& response, int status, const std::string& body) {
  response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
  response.setContentLength64(static_cast<Poco::Int64>(body.size()));
  response.send() << body;
}

HttpRequest get(const std::string& url, milliseconds timeout = milliseconds(5000)) {
  HttpRequest r;
  r.url = url;
  r.timeout = timeout;
  return r;
}

}  // namespace

TEST_CASE("a plain HTTP request returns the server's status, headers and body",
          "[graph][transport][integration]") {
  std::mutex mu;
  std::string seenTarget, seenAuth, seenBody, seenLength;
  TestServer server([&](Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
    std::string body;
    Poco::StreamCopier::copyToString(req.stream(), body);
    {
      std::lock_guard lock(mu);
      seenTarget = req.getURI();
      seenAuth = req.get("Authorization", "");
      seenBody = body;
      seenLength = req.get("Content-Length", "(none)");
    }
    resp.set("request-id", "abc");
    answer(resp, 201, R"({"ok":true})");
  });
  auto transport = makePocoTransport();
  HttpRequest request =
      get(server.url("http", "/v1.0/teams?$skiptoken=a%2Fb%3D&$filter=id%20eq%20'x'"));
  request.method = "POST";
  request.headers = {{"Authorization", "Bearer t"}};
  auto response = transport->send(request);
  REQUIRE(response.ok());
  CHECK(response->status == 201);
  CHECK(response->body == R"({"ok":true})");
  CHECK(response->header("Request-Id") == "abc");
  std::lock_guard lock(mu);
  CHECK(seenTarget == "/v1.0/teams?$skiptoken=a%2Fb%3D&$filter=id%20eq%20'x'");  // verbatim
  CHECK(seenAuth == "Bearer t");
  CHECK(seenBody.empty());
  CHECK(seenLength == "0");  // a POST without body still says Content-Length: 0
}

TEST_CASE("keep-alive connections are reused across requests", "[graph][transport][integration]") {
  TestServer server([](Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
    answer(resp, 200, std::to_string(req.clientAddress().port()));
  });
  auto transport = makePocoTransport();
  auto first = transport->send(get(server.url("http", "/a")));
  auto second = transport->send(get(server.url("http", "/b")));
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK(first->body == second->body);  // same client port: same connection
}

TEST_CASE("a keep-alive connection the server closed while idle is replaced",
          "[graph][transport][integration]") {
  std::mutex mu;
  std::condition_variable cv;
  bool firstClosed = false;
  RawServer server(
      [&](Poco::Net::StreamSocket& s, RawServer&) {
        RawServer::readRequestHead(s);
        std::string reply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        s.sendBytes(reply.data(), static_cast<int>(reply.size()));
        s.close();  // keep-alive promised, then dropped
        std::lock_guard lock(mu);
        firstClosed = true;
        cv.notify_all();
      },
      2);
  auto transport = makePocoTransport();
  REQUIRE(transport->send(get(server.url("/one"))).ok());
  {
    std::unique_lock lock(mu);
    REQUIRE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return firstClosed; }));
  }
  auto second = transport->send(get(server.url("/two")));
  REQUIRE(second.ok());
  CHECK(second->body == "ok");
}

TEST_CASE("concurrent requests from many threads all get their own answers",
          "[graph][transport][integration]") {
  TestServer server([](Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
    answer(resp, 200, req.getURI());
  });
  auto transport = makePocoTransport();
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        const std::string target = "/t" + std::to_string(t) + "/" + std::to_string(i);
        auto response = transport->send(get(server.url("http", target)));
        if (response.ok() && response->body == target) ++good;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(good == 60);
}

TEST_CASE("a server that closes without answering is a transient error naming host and port",
          "[graph][transport][integration]") {
  RawServer server([](Poco::Net::StreamSocket& s, RawServer&) {
    RawServer::readRequestHead(s);
    s.close();
  });
  auto response = makePocoTransport()->send(get(server.url("/x")));
  REQUIRE_FALSE(response.ok());
  CHECK(response.error().kind == ErrorKind::kTransient);
  CHECK_THAT(response.error().message,
             Catch::Contains("127.0.0.1:" + std::to_string(server.port())));
}

TEST_CASE("a server that stalls past the timeout gives a transient timeout in bounded time",
          "[graph][transport][integration]") {
  RawServer server([](Poco::Net::StreamSocket& s, RawServer& self) {
    RawServer::readRequestHead(s);
    self.waitForRelease();  // never answers while the client waits
  });
  const auto start = std::chrono::steady_clock::now();
  auto response = makePocoTransport()->send(get(server.url("/slow"), milliseconds(300)));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  server.release();
  REQUIRE_FALSE(response.ok());
  CHECK(response.error().kind == ErrorKind::kTransient);
  CHECK_THAT(response.error().message, Catch::Contains("timed out after 300 ms"));
  CHECK(elapsed >= milliseconds(250));
  CHECK(elapsed < std::chrono::seconds(5));
}

TEST_CASE("a body shorter than its Content-Length is a transient truncation error",
          "[graph][transport][integration]") {
  RawServer server([](Poco::Net::StreamSocket& s, RawServer&) {
    RawServer::readRequestHead(s);
    std::string reply = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"value\":";
    s.sendBytes(reply.data(), static_cast<int>(reply.size()));
    s.shutdownSend();
  });
  auto response = makePocoTransport()->send(get(server.url("/short")));
  REQUIRE_FALSE(response.ok());
  CHECK(response.error().kind == ErrorKind::kTransient);
  CHECK_THAT(response.error().message, Catch::Contains("truncated"));
}

TEST_CASE("a refused connection is a transient error", "[graph][transport][integration]") {
  uint16_t port = 0;
  {
    Poco::Net::ServerSocket probe(Poco::Net::SocketAddress("127.0.0.1", 0));
    port = probe.address().port();
  }  // closed again: nothing listens there now
  auto response = makePocoTransport()->send(get("http://127.0.0.1:" + std::to_string(port) + "/x"));
  REQUIRE_FALSE(response.ok());
  CHECK(response.error().kind == ErrorKind::kTransient);
  CHECK_THAT(response.error().message, Catch::Contains("refused"));
}

TEST_CASE("a body over the size cap is refused", "[graph][transport][integration]") {
  TestServer server([](Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& resp) {
    answer(resp, 200, std::string(4096, 'x'));
  });
  TransportOptions options;
  options.maxBodyBytes = 1024;
  auto response = makePocoTransport(options)->send(get(server.url("http", "/big")));
  REQUIRE_FALSE(response.ok());
  CHECK(response.error().kind == ErrorKind::kPermanent);
  CHECK_THAT(response.error().message, Catch::Contains("1024"));
}

TEST_CASE("a header value with a line break is refused without echoing it",
          "[graph][transport][integration]") {
  HttpRequest request = get("http://127.0.0.1:1/x");
  request.headers = {{"Authorization", "Bearer secret\r\nX-Injected: 1"}};
  auto response = makePocoTransport()->send(request);
  REQUIRE_FALSE(response.ok());
  CHECK(response.error().kind == ErrorKind::kInvalidInput);
  CHECK(response.error().message.find("secret") == std::string::npos);
}
