#include "run/sample.hpp"

#include <algorithm>
#include <stdexcept>

#include "output/files.hpp"

namespace coherence::run {

const SampleColumn* find_column(std::string_view name) {
  const auto it = std::find_if(kSampleColumns.begin(), kSampleColumns.end(),
                               [&](const SampleColumn& c) { return c.name == name; });
  return it == kSampleColumns.end() ? nullptr : &*it;
}

std::string_view column_name(SampleMember member) {
  const auto it = std::find_if(kSampleColumns.begin(), kSampleColumns.end(),
                               [&](const SampleColumn& c) { return c.member == member; });
  return it->name;  // every member has a column (sample.hpp's static_asserts)
}

SampleMember column_member(const std::string& name) {
  const SampleColumn* c = find_column(name);
  if (!c) throw std::out_of_range("unknown column " + name);
  return c->member;
}

std::string format_timeseries_csv(const std::vector<Sample>& rows) {
  // Through output::format_csv, so that every CSV of numbers formats its cells alike.
  std::vector<std::string> names;
  for (const auto& c : kSampleColumns) names.emplace_back(c.name);
  std::vector<std::vector<double>> cells;
  cells.reserve(rows.size());
  for (const Sample& row : rows) {
    auto& line = cells.emplace_back();
    line.reserve(kSampleColumns.size());
    for (const auto& c : kSampleColumns) line.push_back(row.*c.member);
  }
  return output::format_csv(names, cells);
}

}  // namespace coherence::run
