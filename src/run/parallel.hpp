// Runs independent jobs on a few threads: fn(0) ... fn(n - 1), at most `threads` at a time, in
// batches; results in index order (so output never depends on the thread count). An exception
// from a job reaches the caller from get(), in index order.
#pragma once

#include <algorithm>
#include <cstddef>
#include <future>
#include <type_traits>
#include <vector>

namespace coherence::run {

template <typename F>
auto parallel_map(std::size_t n, unsigned threads, F fn) -> std::vector<std::invoke_result_t<F, std::size_t>> {
  using Result = std::invoke_result_t<F, std::size_t>;
  std::vector<Result> out;
  out.reserve(n);
  const std::size_t batch = std::max(1u, threads);
  for (std::size_t start = 0; start < n; start += batch) {
    std::vector<std::future<Result>> jobs;
    const std::size_t end = std::min(n, start + batch);
    for (std::size_t k = start; k < end; ++k) jobs.push_back(std::async(std::launch::async, fn, k));
    for (auto& j : jobs) out.push_back(j.get());
  }
  return out;
}

}  // namespace coherence::run
