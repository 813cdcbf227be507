// The program's error types, below every layer that reports bad input (scenario and trial
// loading, video reading, output targets), so that a library such as the scoring pipeline does
// not depend on the scenario loader for them.
#pragma once

#include <stdexcept>
#include <string>

namespace coherence {

// Bad user input: reported as one line (file, line, key, value, rule), exit code 2.
class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace coherence
