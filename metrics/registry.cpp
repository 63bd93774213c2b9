#include "metrics/registry.h"

#include <cmath>
#include <set>
#include <stdexcept>
#include <type_traits>

#include "metrics/exposition.h"

namespace appkeeper::metrics {
namespace {

template <class Metric>
constexpr const char* typeName() {
  if constexpr (std::is_same_v<Metric, Counter>) return "counter";
  if constexpr (std::is_same_v<Metric, Gauge>) return "gauge";
  return "histogram";
}

}  // namespace

std::vector<double> defaultDurationBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
}

template <class Metric>
Family<Metric>::Family(std::string name, std::string help, std::vector<std::string> labelNames,
                       std::vector<double> upperBounds)
    : FamilyBase(std::move(name), std::move(help), std::move(labelNames)),
      bounds_(std::move(upperBounds)) {
  for (double b : bounds_) {
    std::string label;
    appendValue(label, b);
    boundLabels_.push_back(std::move(label));
  }
  // A family without labels has exactly one child: show it (as 0) from the start.
  if (labelNames_.empty()) get();
}

template <class Metric>
Metric& Family<Metric>::labels(std::initializer_list<std::string_view> values) {
  return labels(std::span<const std::string_view>(values.begin(), values.size()));
}

template <class Metric>
Metric& Family<Metric>::labels(std::span<const std::string_view> values) {
  if (values.size() != labelNames_.size()) {
    throw std::invalid_argument("metric " + name_ + ": " + std::to_string(values.size()) +
                                " label values given for " + std::to_string(labelNames_.size()) +
                                " label names");
  }
  std::lock_guard lock(mu_);
  auto it = children_.find(values);
  if (it != children_.end()) return *it->second;
  std::unique_ptr<Metric> child;
  if constexpr (std::is_same_v<Metric, Histogram>) {
    child = std::make_unique<Histogram>(bounds_);
  } else {
    child = std::make_unique<Metric>();
  }
  std::vector<std::string> key(values.begin(), values.end());
  return *children_.emplace(std::move(key), std::move(child)).first->second;
}

template <class Metric>
void Family<Metric>::clear() {
  std::lock_guard lock(mu_);
  children_.clear();
}

template <class Metric>
void Family<Metric>::render(std::string& out) const {
  std::lock_guard lock(mu_);
  if (children_.empty()) return;
  appendHeader(out, name_, help_, typeName<Metric>());
  for (const auto& [values, child] : children_) {
    if constexpr (std::is_same_v<Metric, Histogram>) {
      const Histogram::Snapshot s = child->snapshot();
      for (size_t i = 0; i < boundLabels_.size(); ++i) {
        appendSample(out, name_, "_bucket", labelNames_, values, "le", boundLabels_[i],
                     static_cast<double>(s.cumulative[i]));
      }
      appendSample(out, name_, "_bucket", labelNames_, values, "le", "+Inf",
                   static_cast<double>(s.count));
      appendSample(out, name_, "_sum", labelNames_, values, "", "", s.sum);
      appendSample(out, name_, "_count", labelNames_, values, "", "", static_cast<double>(s.count));
    } else {
      appendSample(out, name_, "", labelNames_, values, "", "", child->value());
    }
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

void Registry::checkNew(const std::string& name, const std::vector<std::string>& labelNames,
                        bool histogram) const {
  if (!isValidMetricName(name)) throw std::invalid_argument("invalid metric name: " + name);
  for (const auto& f : families_) {
    if (f->name() == name) throw std::invalid_argument("metric registered twice: " + name);
  }
  std::set<std::string_view> seen;
  for (const auto& label : labelNames) {
    if (!isValidLabelName(label) || (histogram && label == "le") || !seen.insert(label).second) {
      throw std::invalid_argument("metric " + name + ": invalid or repeated label name: " + label);
    }
  }
}

template <class Metric>
Family<Metric>& Registry::add(std::unique_ptr<Family<Metric>> family) {
  Family<Metric>& ref = *family;
  families_.push_back(std::move(family));
  return ref;
}

Family<Counter>& Registry::counter(std::string name, std::string help,
                                   std::vector<std::string> labelNames) {
  std::lock_guard lock(mu_);
  checkNew(name, labelNames, false);
  if (!std::string_view(name).ends_with("_total")) {
    throw std::invalid_argument("counter names end in _total: " + name);
  }
  return add(
      std::make_unique<Family<Counter>>(std::move(name), std::move(help), std::move(labelNames)));
}

Family<Gauge>& Registry::gauge(std::string name, std::string help,
                               std::vector<std::string> labelNames) {
  std::lock_guard lock(mu_);
  checkNew(name, labelNames, false);
  return add(
      std::make_unique<Family<Gauge>>(std::move(name), std::move(help), std::move(labelNames)));
}

Family<Histogram>& Registry::histogram(std::string name, std::string help,
                                       std::vector<double> upperBounds,
                                       std::vector<std::string> labelNames) {
  std::lock_guard lock(mu_);
  checkNew(name, labelNames, true);
  for (size_t i = 0; i < upperBounds.size(); ++i) {
    if (!std::isfinite(upperBounds[i]) || (i > 0 && !(upperBounds[i - 1] < upperBounds[i]))) {
      throw std::invalid_argument("histogram " + name +
                                  ": bucket bounds must be finite and strictly increasing");
    }
  }
  return add(std::make_unique<Family<Histogram>>(std::move(name), std::move(help),
                                                 std::move(labelNames), std::move(upperBounds)));
}

std::string Registry::render() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& f : families_) f->render(out);
  return out;
}

}  // namespace appkeeper::metrics
