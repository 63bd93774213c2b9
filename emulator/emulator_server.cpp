#include "emulator/emulator_server.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <istream>
#include <vector>

#include "common/ascii.h"
#include "emulator/tls_contexts.h"
#include "emulator/url_codec.h"

namespace appkeeper::emulator {

bool StopGate::waitFor(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, d, [&] { return stopped_; });
}

void StopGate::stop() {
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
  }
  cv_.notify_all();
}

namespace {

// Reads at most max+1 bytes, so an oversized body is detected without reading it all.
bool readBody(std::istream& in, size_t max, std::string& out) {
  std::vector<char> buf(16 * 1024);
  while (in && out.size() <= max) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    auto got = static_cast<size_t>(in.gcount());
    if (got == 0) break;
    out.append(buf.data(), got);
  }
  return out.size() <= max;
}

void closeConnection(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) {
  response.setKeepAlive(false);
  try {
    auto& impl = static_cast<Poco::Net::HTTPServerRequestImpl&>(request);
    impl.socket().shutdown();
  } catch (const Poco::Exception&) {
    // Already closed by the peer: nothing left to do.
  }
}

class Handler final : public Poco::Net::HTTPRequestHandler {
 public:
  Handler(EmulatorCore& core, const ServerOptions& options, StopGate& gate,
          const std::shared_ptr<spdlog::logger>& logger)
      : core_(core), options_(options), gate_(gate), logger_(logger) {}

  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    const auto start = std::chrono::steady_clock::now();
    std::string outcome;
    Request req;
    try {
      outcome = serve(request, response, req);
    } catch (const std::exception& e) {
      outcome = "error";
      if (logger_) logger_->error("{} {}: {}", request.getMethod(), req.path, e.what());
      if (!response.sent()) {
        try {
          response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_INTERNAL_SERVER_ERROR);
          response.setContentLength(0);
          response.send();
        } catch (...) {  // the connection is gone; Poco closes it
        }
      }
    }
    if (logger_ && logger_->should_log(spdlog::level::info)) {
      double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count();
      logger_->info("{} {} {} {:.1f} ms", request.getMethod(), req.path.empty() ? "?" : req.path,
                    outcome, ms);
    }
  }

 private:
  std::string serve(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
                    Request& req) {
    req.method = request.getMethod();
    req.scheme = options_.tls() ? "https" : "http";
    const std::string& uri = request.getURI();
    auto q = uri.find('?');
    req.rawPath = uri.substr(0, q);
    req.rawQuery = q == std::string::npos ? std::string() : uri.substr(q + 1);
    req.path = percentDecode(req.rawPath, false).value_or(req.rawPath);
    for (const auto& [name, value] : request) req.headers[toLowerAscii(name)] = value;
    // A query that cannot be decoded is left empty here; the core answers it with 400.
    if (auto query = parseQuery(req.rawQuery)) req.query = std::move(*query);
    if (!readBody(request.stream(), options_.maxBodyBytes, req.body)) {
      write(response, graphError(RequestContext{}, 413, "RequestEntityTooLarge",
                                 "The request body is larger than the emulator accepts."));
      return "413";
    }

    const LatencySplit delay = splitLatency(core_.latency(req));
    if (delay.beforeHandling.count() > 0 && !gate_.waitFor(delay.beforeHandling)) {
      closeConnection(request, response);
      return "shutdown";
    }
    Response r = core_.handle(req);
    // The answer's way back (hang and drop never answer).
    const bool answers = r.misbehave != Misbehave::kHang && r.misbehave != Misbehave::kDrop;
    if (answers && delay.beforeAnswer.count() > 0 && !gate_.waitFor(delay.beforeAnswer)) {
      closeConnection(request, response);
      return "shutdown";
    }
    switch (r.misbehave) {
      case Misbehave::kHang:
        gate_.waitFor(r.hangFor);
        closeConnection(request, response);
        return "hang";
      case Misbehave::kDrop:
        closeConnection(request, response);
        return "drop";
      case Misbehave::kTruncate: {
        applyHeaders(response, r);
        response.setContentLength(static_cast<std::streamsize>(r.body.size() * 2 + 64));
        std::ostream& out = response.send();
        out.write(r.body.data(), static_cast<std::streamsize>(r.body.size() / 2));
        out.flush();
        closeConnection(request, response);
        return "truncate";
      }
      case Misbehave::kNone:
      case Misbehave::kNonJson:
        break;
    }
    write(response, r);
    return std::to_string(r.status);
  }

  static void applyHeaders(Poco::Net::HTTPServerResponse& response, const Response& r) {
    response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(r.status));
    for (const auto& [name, value] : r.headers) response.add(name, value);
    if (!r.contentType.empty()) {
      std::string type = r.contentType;
      if (type.find("charset") == std::string::npos) type += "; charset=utf-8";
      response.setContentType(type);
    }
  }

  static void write(Poco::Net::HTTPServerResponse& response, const Response& r) {
    applyHeaders(response, r);
    // 204 carries Content-Length: 0 so the connection stays reusable for every client.
    response.sendBuffer(r.body.data(), r.body.size());
  }

  EmulatorCore& core_;
  const ServerOptions& options_;
  StopGate& gate_;
  const std::shared_ptr<spdlog::logger>& logger_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Factory(EmulatorCore& core, const ServerOptions& options, StopGate& gate,
          const std::shared_ptr<spdlog::logger>& logger)
      : core_(core), options_(options), gate_(gate), logger_(logger) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(core_, options_, gate_, logger_);  // Poco owns and deletes it
  }

 private:
  EmulatorCore& core_;
  const ServerOptions& options_;
  StopGate& gate_;
  const std::shared_ptr<spdlog::logger>& logger_;
};

}  // namespace

EmulatorServer::EmulatorServer(EmulatorCore& core, ServerOptions options,
                               std::shared_ptr<spdlog::logger> logger)
    : core_(core), options_(std::move(options)), logger_(std::move(logger)) {}

EmulatorServer::~EmulatorServer() { stop(); }

Status EmulatorServer::start() {
  Poco::Net::Context::Ptr tls;
  if (options_.tls()) {
    auto context =
        makeServerTlsContext({options_.tlsCertificateChainPem, options_.tlsPrivateKeyPem});
    if (!context) return context.error();
    tls = *context;
  }
  try {
    // The TLS handshake runs on the request thread, on the first read of the connection.
    Poco::Net::ServerSocket socket =
        tls ? Poco::Net::ServerSocket(Poco::Net::SecureServerSocket(tls))
            : Poco::Net::ServerSocket();
    socket.bind(Poco::Net::SocketAddress(options_.bindAddress, options_.port), true);
    socket.listen(256);
    port_ = socket.address().port();
    auto params = new Poco::Net::HTTPServerParams;  // reference-counted by Poco
    params->setMaxThreads(options_.threads);
    params->setMaxQueued(options_.maxQueued);
    params->setKeepAlive(true);
    params->setMaxKeepAliveRequests(100000);
    params->setKeepAliveTimeout(Poco::Timespan(options_.keepAliveTimeout.count(), 0));
    params->setSoftwareVersion("appkeeper-graph-emulator");
    // +2: the TCP dispatcher runs on a pool thread too.
    pool_ = std::make_unique<Poco::ThreadPool>(2, options_.threads + 2);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(core_, options_, gate_, logger_),
                                                      *pool_, socket, params);
    server_->start();
    return Ok{};
  } catch (const Poco::Exception& e) {
    server_.reset();
    pool_.reset();
    return Error::invalidInput("cannot listen on " + options_.bindAddress + ":" +
                               std::to_string(options_.port) + ": " + e.displayText());
  }
}

std::string EmulatorServer::url() const {
  return std::string(options_.tls() ? "https://" : "http://") + options_.bindAddress + ":" +
         std::to_string(port_);
}

void EmulatorServer::stop() {
  gate_.stop();
  if (server_) {
    server_->stopAll(true);
    server_.reset();
  }
  if (pool_) {
    pool_->joinAll();
    pool_.reset();
  }
}

}  // namespace appkeeper::emulator
