#include "metrics/registry.h"

#include <catch2/catch.hpp>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace appkeeper::metrics;

TEST_CASE("a counter family renders HELP, TYPE and one line per label set, sorted", "[metrics]") {
  Registry r;
  auto& requests = r.counter("app_requests_total", "Requests by code.", {"endpoint", "code"});
  requests.labels({"/b", "200"}).inc();
  requests.labels({"/a", "404"}).inc(2);
  requests.labels({"/b", "200"}).inc();
  CHECK(r.render() ==
        "# HELP app_requests_total Requests by code.\n"
        "# TYPE app_requests_total counter\n"
        "app_requests_total{endpoint=\"/a\",code=\"404\"} 2\n"
        "app_requests_total{endpoint=\"/b\",code=\"200\"} 2\n");
}

TEST_CASE("a family without labels shows its zero value before anything is recorded", "[metrics]") {
  Registry r;
  r.gauge("app_running", "Whether it runs.");
  r.counter("app_events_total", "Events.", {"kind"});  // labelled: nothing to show yet
  CHECK(r.render() ==
        "# HELP app_running Whether it runs.\n"
        "# TYPE app_running gauge\n"
        "app_running 0\n");
}

TEST_CASE("a histogram renders cumulative buckets including +Inf, then sum and count",
          "[metrics]") {
  Registry r;
  auto& h = r.histogram("app_duration_seconds", "How long.", {0.25, 1}, {"op"});
  h.labels({"get"}).observe(0.125);
  h.labels({"get"}).observe(0.25);  // bounds are inclusive
  h.labels({"get"}).observe(0.5);
  h.labels({"get"}).observe(7);
  CHECK(r.render() ==
        "# HELP app_duration_seconds How long.\n"
        "# TYPE app_duration_seconds histogram\n"
        "app_duration_seconds_bucket{op=\"get\",le=\"0.25\"} 2\n"
        "app_duration_seconds_bucket{op=\"get\",le=\"1\"} 3\n"
        "app_duration_seconds_bucket{op=\"get\",le=\"+Inf\"} 4\n"
        "app_duration_seconds_sum{op=\"get\"} 7.875\n"
        "app_duration_seconds_count{op=\"get\"} 4\n");
}

TEST_CASE("families render in registration order and HELP text is escaped", "[metrics]") {
  Registry r;
  r.gauge("z_first", "Line one\nline \\two").get().set(1);
  r.gauge("a_second", "Plain.").get().set(2.5);
  CHECK(r.render() ==
        "# HELP z_first Line one\\nline \\\\two\n"
        "# TYPE z_first gauge\n"
        "z_first 1\n"
        "# HELP a_second Plain.\n"
        "# TYPE a_second gauge\n"
        "a_second 2.5\n");
}

TEST_CASE("label values with quotes, backslashes and newlines are escaped", "[metrics]") {
  Registry r;
  r.gauge("app_info", "Info.", {"v"}).labels({"a\"b\\c\nd"}).set(1);
  CHECK(r.render() ==
        "# HELP app_info Info.\n"
        "# TYPE app_info gauge\n"
        "app_info{v=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST_CASE("clear drops every child of a family", "[metrics]") {
  Registry r;
  auto& g = r.gauge("app_expiry_timestamp_seconds", "Expiry.", {"id"});
  g.labels({"old"}).set(1);
  g.clear();
  g.labels({"new"}).set(2);
  CHECK(r.render().find("old") == std::string::npos);
  CHECK(r.render().find("app_expiry_timestamp_seconds{id=\"new\"} 2\n") != std::string::npos);
}

TEST_CASE("a counter ignores negative and NaN increments", "[metrics]") {
  Registry r;
  auto& c = r.counter("app_things_total", "Things.").get();
  c.inc(3);
  c.inc(-1);
  c.inc(std::numeric_limits<double>::quiet_NaN());
  CHECK(c.value() == 3);
}

TEST_CASE("the same label values always give the same child", "[metrics]") {
  Registry r;
  auto& f = r.counter("app_x_total", "X.", {"a"});
  CHECK(&f.labels({"1"}) == &f.labels({"1"}));
  CHECK(&f.labels({"1"}) != &f.labels({"2"}));
}

TEST_CASE("registration refuses names and labels Prometheus would reject", "[metrics]") {
  Registry r;
  r.gauge("app_ok", "Fine.");
  CHECK_THROWS_AS(r.gauge("app_ok", "Again."), std::invalid_argument);
  CHECK_THROWS_AS(r.gauge("bad-name", "Dash."), std::invalid_argument);
  CHECK_THROWS_AS(r.counter("app_requests", "No _total."), std::invalid_argument);
  CHECK_THROWS_AS(r.gauge("app_g", "Repeated label.", {"a", "a"}), std::invalid_argument);
  CHECK_THROWS_AS(r.gauge("app_h", "Reserved label.", {"__x"}), std::invalid_argument);
  CHECK_THROWS_AS(r.histogram("app_d_seconds", "le is taken.", {1}, {"le"}), std::invalid_argument);
  CHECK_THROWS_AS(r.histogram("app_e_seconds", "Unsorted.", {1, 0.5}), std::invalid_argument);
}

TEST_CASE("labels() with the wrong number of values is refused", "[metrics]") {
  Registry r;
  auto& f = r.counter("app_y_total", "Y.", {"a", "b"});
  CHECK_THROWS_AS(f.labels({"only-one"}), std::invalid_argument);
}

TEST_CASE("concurrent recording from many threads loses no increment", "[metrics]") {
  Registry r;
  auto& c = r.counter("app_hits_total", "Hits.", {"t"});
  auto& h = r.histogram("app_lat_seconds", "Latency.", {0.5});
  constexpr int kThreads = 4, kEach = 10'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        c.labels({i % 2 == 0 ? "even" : "odd"}).inc();
        h.get().observe(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(c.labels({"even"}).value() + c.labels({"odd"}).value() == kThreads * kEach);
  const auto s = h.get().snapshot();
  CHECK(s.count == kThreads * kEach);
  CHECK(s.cumulative.front() == 0);
  CHECK(s.sum == kThreads * kEach);
}
