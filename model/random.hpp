// Deterministic, portable random numbers: SplitMix64 with its own uniform and normal
// transforms (the standard library's distributions differ between implementations, which would
// break byte-identical outputs across platforms). Every stream is derived from
// (run seed, patient index, purpose), so draws never depend on thread or evaluation order.
#pragma once

#include <cmath>
#include <cstdint>

namespace coherence::model {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}

  // A stream for one purpose of one patient of one run.
  static Rng stream(std::uint64_t run_seed, std::uint64_t patient, std::uint64_t purpose) {
    Rng r(run_seed);
    const std::uint64_t a = r.next() ^ (patient * 0x9E3779B97F4A7C15ULL);
    Rng r2(a);
    return Rng(r2.next() ^ (purpose * 0xD1B54A32D192ED03ULL));
  }

  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, 1), 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }

  // Standard normal (Box-Muller; one value per call, deterministic).
  double normal() {
    const double u1 = 1.0 - uniform();  // (0, 1]
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * 3.14159265358979323846 * u2);
  }

 private:
  std::uint64_t state_;
};

}  // namespace coherence::model
