#include "protocol/protocol.hpp"

#include <algorithm>
#include <cmath>

namespace coherence::protocol {

VarvelMetrics varvel(const std::vector<double>& map_mmHg, const std::vector<double>& target_mmHg) {
  VarvelMetrics v;
  v.samples = static_cast<int>(map_mmHg.size());
  if (map_mmHg.empty()) return v;
  auto median = [](std::vector<double> x) {
    const std::size_t n = x.size();
    std::sort(x.begin(), x.end());
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
  };
  std::vector<double> pe, ape;
  int within = 0;
  for (std::size_t i = 0; i < map_mmHg.size(); ++i) {
    const double e = 100.0 * (map_mmHg[i] - target_mmHg[i]) / target_mmHg[i];
    pe.push_back(e);
    ape.push_back(std::abs(e));
    if (std::abs(map_mmHg[i] - target_mmHg[i]) <= 5.0) ++within;
  }
  v.mdpe_pct = median(pe);
  v.mdape_pct = median(ape);
  std::vector<double> wob;
  wob.reserve(pe.size());
  for (double e : pe) wob.push_back(std::abs(e - v.mdpe_pct));
  v.wobble_pct = median(wob);
  v.within_5_mmHg_pct = 100.0 * within / static_cast<double>(map_mmHg.size());
  return v;
}

VarvelMetrics varvel(const std::vector<double>& map_mmHg, double target_mmHg) {
  return varvel(map_mmHg, std::vector<double>(map_mmHg.size(), target_mmHg));
}

}  // namespace coherence::protocol
