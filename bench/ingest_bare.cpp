// ingest_bare: the baseline of the ingest benchmark (bench/run_ingest.sh). A bare Poco
// HTTPServer that reads each request body and answers 202 without looking at it or persisting
// anything, with the same server settings as appkeeper's inbound listener
// (handlers/http_listener.cpp: a thread pool of its own with maxQueued 128, backlog 64,
// keep-alive with a 5 s timeout, 10 s socket timeout; its threads are --threads, which
// run_ingest.sh sets to the inbound listener's 128, handlers/inbound_server.h).
//   ingest_bare [--port N] [--threads N] [--queued N]
// Prints "listening on http://127.0.0.1:PORT" once bound, then serves until SIGTERM or SIGINT.
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

namespace {

using Poco::Net::HTTPRequestHandler;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

class AcceptHandler final : public HTTPRequestHandler {
 public:
  void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
    try {
      // Read the body as the real listener does (same buffer size), so only the store differs.
      std::istream& in = request.stream();
      char buffer[8192];
      std::string body;
      while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
        body.append(buffer, static_cast<size_t>(in.gcount()));
      }
      response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_ACCEPTED);
      response.sendBuffer(nullptr, 0);
    } catch (...) {  // a client gone away: nothing to answer
    }
  }
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
    return new AcceptHandler;  // Poco owns it
  }
};

int intArg(const char* text) {
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || v < 0 || v > 65535) {
    std::cerr << "ingest_bare: not a number in 0..65535: " << text << "\n";
    std::exit(2);
  }
  return static_cast<int>(v);
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0, threads = 16, queued = 128;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--port") {
      port = intArg(argv[i + 1]);
    } else if (a == "--threads") {
      threads = intArg(argv[i + 1]);
    } else if (a == "--queued") {
      queued = intArg(argv[i + 1]);
    } else {
      std::cerr << "usage: ingest_bare [--port N] [--threads N] [--queued N]\n";
      return 2;
    }
  }
  if ((argc - 1) % 2 != 0 || threads < 1 || queued < 1) {
    std::cerr << "usage: ingest_bare [--port N] [--threads N>=1] [--queued N>=1]\n";
    return 2;
  }

  // Blocked before any thread starts, so every thread inherits the mask and sigwait gets them.
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGTERM);
  sigaddset(&stopSignals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);

  try {
    Poco::Net::ServerSocket socket;
    socket.bind(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)), true,
                false);
    socket.listen(64);
    auto* params = new Poco::Net::HTTPServerParams;  // the server takes ownership
    params->setMaxThreads(threads);
    params->setMaxQueued(queued);
    params->setTimeout(Poco::Timespan(10, 0));
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(Poco::Timespan(5, 0));
    Poco::ThreadPool pool(1, threads);
    Poco::Net::HTTPServer server(new Factory, pool, socket, params);
    server.start();
    std::printf("listening on http://127.0.0.1:%u\n", socket.address().port());
    std::fflush(stdout);
    int received = 0;
    sigwait(&stopSignals, &received);
    server.stopAll(false);
    pool.joinAll();
  } catch (const std::exception& e) {
    std::cerr << "ingest_bare: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
