// The protocol registry: every protocol declares itself once, in its own file, with its name, a
// one-line summary, the `protocol.*` keys it reads (bound to members of its own settings struct)
// and a factory. The scenario loader (keys, ranges, defaults, the list of valid names), the
// session (which controller to build) and the trial loader (valid arm protocols) read the
// registry; no list of protocol names exists anywhere else.
//
// Adding a protocol (docs/extending.md): a class deriving from Protocol, a settings struct with
// its defaults, and a function returning its ProtocolEntry, made with `make_entry`; the built-in
// ones are listed in registry.cpp's `builtin_entries()`, and a program or a test may add its own
// with `register_protocol` before it loads scenarios.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <type_traits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/protocol.hpp"

namespace coherence::protocol {

// One `protocol.<key>` setting. Its default is the settings struct's member default (make_entry
// reads it from a value-initialised struct), so the struct is the one place a default is written.
struct SettingKey {
  SettingKey(std::string key_, bool integer_, std::string unit_, double min_, double max_, std::string description_)
      : key(std::move(key_)), integer(integer_), unit(std::move(unit_)), min(min_), max(max_),
        description(std::move(description_)) {}
  std::string key;  // without the "protocol." prefix
  bool integer = false;
  std::string unit;
  double min = 0.0;
  double max = 0.0;
  std::string description;  // without the names of the protocols that read it (the registry adds them)
  double default_value = 0.0;
};

// `protocol.*` settings by key, as a scenario sets them: every key of the registry, defaults
// filled in for the keys the scenario does not set.
using SettingValues = std::map<std::string, double, std::less<>>;

struct ProtocolEntry {
  std::string name;
  std::string summary;           // one line: what it does (docs/protocols.md's table)
  std::vector<SettingKey> keys;  // the settings it reads
  // Builds the controller; empty for a protocol that never decides (`fixed`: scripted events only).
  std::function<std::unique_ptr<Protocol>(const SettingValues&)> make;
};

// A key bound to a member of a settings struct S.
template <class S>
struct Binding {
  SettingKey key;
  std::function<void(S&, double)> set;
};

template <class S, class M>
Binding<S> bind(SettingKey key, M S::*member) {
  // An integer member behind a number key would truncate the user's value without a word.
  if (key.integer != std::is_integral_v<M>) {
    throw std::logic_error("protocol key '" + key.key + "': integer key and integer member go together");
  }
  key.default_value = static_cast<double>(S{}.*member);
  return {std::move(key), [member](S& s, double v) { s.*member = static_cast<M>(v); }};
}

// The bindings of an inner settings struct, seen through the outer struct's member holding it
// (macro_first's settings inside micro_guided's, map_target's inside macro_first's).
template <class Outer, class Inner>
std::vector<Binding<Outer>> nest(const std::vector<Binding<Inner>>& inner, Inner Outer::*member) {
  std::vector<Binding<Outer>> out;
  out.reserve(inner.size());
  for (const auto& b : inner) {
    auto set = b.set;
    out.push_back({b.key, [member, set](Outer& o, double v) { set(o.*member, v); }});
  }
  return out;
}

// An entry whose factory fills S from the scenario's values through `bindings` and hands it to
// `factory`.
template <class S>
ProtocolEntry make_entry(std::string name, std::string summary, std::vector<Binding<S>> bindings,
                         std::function<std::unique_ptr<Protocol>(const S&)> factory) {
  ProtocolEntry e{std::move(name), std::move(summary), {}, {}};
  for (const auto& b : bindings) e.keys.push_back(b.key);
  e.make = [bindings = std::move(bindings), factory = std::move(factory)](const SettingValues& values) {
    S s{};
    for (const auto& b : bindings) {
      const auto it = values.find(b.key.key);
      b.set(s, it != values.end() ? it->second : b.key.default_value);
    }
    return factory(s);
  };
  return e;
}

// Adds a protocol. Throws std::logic_error for a name already registered, or for a key another
// protocol declares with a different type, unit, range, default or description. Register before
// scenarios are loaded (registration is not meant to race with loading).
void register_protocol(ProtocolEntry entry);

// Removes a protocol registered by a program or a test (built-ins included, for completeness);
// false if no protocol has that name. Same rule as registration: not while scenarios load.
bool unregister_protocol(std::string_view name);

// The registered protocols, built-ins first, in registration order.
const std::vector<const ProtocolEntry*>& protocols();
const ProtocolEntry* find_protocol(std::string_view name);

// The union of every protocol's keys, in first-declaration order, each with the names of the
// protocols that read it.
struct RegisteredKey {
  SettingKey key;
  std::vector<std::string> used_by;
};
std::vector<RegisteredKey> registered_keys();

// "fixed, map_target, ... or lactate_guided" (`last_joiner` ", " gives a plain list).
std::string protocol_names(std::string_view last_joiner = " or ");

// Changes with every registration, so that tables derived from the registry know to rebuild.
std::uint64_t registry_generation();

}  // namespace coherence::protocol
