// Registry: the metrics of one process, each a family (name, help, label names) of children
// (one per distinct set of label values), rendered in registration order in the Prometheus text
// exposition format 0.0.4 (exposition.h) by render().
//
// Recording: family.labels({"a", "b"}) finds (or creates, once) the child for those values
// under the family's short mutex, without allocating when it exists; the reference it returns
// stays valid for the life of the family (unless clear() is called), so hot paths may keep it
// and then record with atomics only. Keep label values from a bounded set: every distinct set
// is kept forever.
//
// Errors: registering an invalid or duplicate name, a counter whose name does not end in
// "_total", an invalid label name ("le" is reserved for histograms), or bucket bounds that are
// not finite and strictly increasing, and calling labels() with the wrong number of values, are
// programming errors: they throw std::invalid_argument (at start-up, where tests catch them).
//
// Thread contract: thread-safe. Families are owned by the Registry and live as long as it.
#pragma once

#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/metric_types.h"

namespace appkeeper::metrics {

// Seconds, for request durations: 5 ms to 30 s.
std::vector<double> defaultDurationBuckets();

// Orders label-value lists; transparent, so a list of string_views finds a stored list of
// strings without building one.
struct LabelValuesLess {
  using is_transparent = void;
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    return std::lexicographical_compare(
        a.begin(), a.end(), b.begin(), b.end(),
        [](std::string_view x, std::string_view y) { return x < y; });
  }
};

class FamilyBase {
 public:
  virtual ~FamilyBase() = default;
  const std::string& name() const { return name_; }
  virtual void render(std::string& out) const = 0;

 protected:
  FamilyBase(std::string name, std::string help, std::vector<std::string> labelNames)
      : name_(std::move(name)), help_(std::move(help)), labelNames_(std::move(labelNames)) {}
  const std::string name_;
  const std::string help_;
  const std::vector<std::string> labelNames_;
};

// Metric is Counter, Gauge or Histogram (instantiated in registry.cpp only).
template <class Metric>
class Family final : public FamilyBase {
 public:
  // Use Registry::counter/gauge/histogram, which validate the arguments.
  Family(std::string name, std::string help, std::vector<std::string> labelNames,
         std::vector<double> upperBounds = {});

  Metric& labels(std::initializer_list<std::string_view> values);
  Metric& labels(std::span<const std::string_view> values);
  // The child of a family without labels.
  Metric& get() { return labels(std::span<const std::string_view>()); }
  // Drops every child (for values rebuilt at scrape time, such as one gauge per subscription).
  // Invalidates every reference labels() returned: only for families nobody keeps one of.
  void clear();
  void render(std::string& out) const override;

 private:
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>, LabelValuesLess> children_;
  const std::vector<double> bounds_;      // histograms only
  std::vector<std::string> boundLabels_;  // the bounds as "le" values
};

extern template class Family<Counter>;
extern template class Family<Gauge>;
extern template class Family<Histogram>;

class Registry {
 public:
  Family<Counter>& counter(std::string name, std::string help,
                           std::vector<std::string> labelNames = {});
  Family<Gauge>& gauge(std::string name, std::string help,
                       std::vector<std::string> labelNames = {});
  Family<Histogram>& histogram(std::string name, std::string help, std::vector<double> upperBounds,
                               std::vector<std::string> labelNames = {});

  // Every family with at least one child, in registration order.
  std::string render() const;

 private:
  void checkNew(const std::string& name, const std::vector<std::string>& labelNames,
                bool histogram) const;  // requires mu_
  template <class Metric>
  Family<Metric>& add(std::unique_ptr<Family<Metric>> family);

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<FamilyBase>> families_;  // guarded by mu_
};

}  // namespace appkeeper::metrics
