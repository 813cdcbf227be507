#include "protocol/registry.hpp"

#include <fmt/format.h>

#include <algorithm>

#include <atomic>
#include <deque>
#include <mutex>
#include <stdexcept>

#include "protocol/macro_first.hpp"
#include "protocol/map_target.hpp"
#include "protocol/micro_guided.hpp"
#include "protocol/perfusion_guided.hpp"

namespace coherence::protocol {

namespace {

// The built-in protocols, in the order they are listed to users.
std::vector<ProtocolEntry> builtin_entries() {
  std::vector<ProtocolEntry> v;
  v.push_back({"fixed", "Scripted events only.", {}, {}});
  v.push_back(map_target_entry());
  v.push_back(macro_first_entry());
  v.push_back(micro_guided_entry());
  for (auto& e : perfusion_guided_entries()) v.push_back(std::move(e));
  return v;
}

bool same_declaration(const SettingKey& a, const SettingKey& b) {
  return a.integer == b.integer && a.unit == b.unit && a.min == b.min && a.max == b.max &&
         a.default_value == b.default_value && a.description == b.description;
}

class Registry {
 public:
  Registry() {
    for (auto& e : builtin_entries()) add(std::move(e));
  }

  void add(ProtocolEntry e) {
    const std::lock_guard lock(mutex_);
    if (e.name.empty()) throw std::logic_error("protocol registry: a protocol needs a name");
    for (const auto* p : order_) {
      if (p->name == e.name) throw std::logic_error(fmt::format("protocol registry: '{}' is registered twice", e.name));
    }
    for (const auto& k : e.keys) {
      if (k.key == "name" || k.key == "start_min") {
        throw std::logic_error(fmt::format("protocol registry: '{}' declares protocol.{}, a key of every protocol",
                                           e.name, k.key));
      }
      if (!(k.min <= k.default_value && k.default_value <= k.max)) {
        throw std::logic_error(fmt::format("protocol registry: '{}' declares protocol.{} with its default {} outside [{}, {}]",
                                           e.name, k.key, k.default_value, k.min, k.max));
      }
      for (const auto* p : order_) {
        for (const auto& other : p->keys) {
          if (other.key == k.key && !same_declaration(other, k)) {
            throw std::logic_error(fmt::format(
                "protocol registry: '{}' declares protocol.{} differently from '{}' (one key, one meaning)", e.name,
                k.key, p->name));
          }
        }
      }
    }
    entries_.push_back(std::move(e));
    order_.push_back(&entries_.back());
    generation_.fetch_add(1);
  }

  bool remove(std::string_view name) {
    const std::lock_guard lock(mutex_);
    const auto it = std::find_if(order_.begin(), order_.end(), [&](const ProtocolEntry* p) { return p->name == name; });
    if (it == order_.end()) return false;
    order_.erase(it);  // the entry itself stays in entries_: pointers handed out remain valid
    generation_.fetch_add(1);
    return true;
  }

  const std::vector<const ProtocolEntry*>& order() const { return order_; }
  std::uint64_t generation() const { return generation_.load(); }

 private:
  std::mutex mutex_;
  std::deque<ProtocolEntry> entries_;  // stable addresses
  std::vector<const ProtocolEntry*> order_;
  std::atomic<std::uint64_t> generation_{0};
};

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

void register_protocol(ProtocolEntry entry) { registry().add(std::move(entry)); }

bool unregister_protocol(std::string_view name) { return registry().remove(name); }

const std::vector<const ProtocolEntry*>& protocols() { return registry().order(); }

const ProtocolEntry* find_protocol(std::string_view name) {
  for (const auto* p : protocols()) {
    if (p->name == name) return p;
  }
  return nullptr;
}

std::vector<RegisteredKey> registered_keys() {
  std::vector<RegisteredKey> out;
  for (const auto* p : protocols()) {
    for (const auto& k : p->keys) {
      auto it = std::find_if(out.begin(), out.end(), [&](const RegisteredKey& r) { return r.key.key == k.key; });
      if (it == out.end()) {
        out.push_back({k, {p->name}});
      } else {
        it->used_by.push_back(p->name);
      }
    }
  }
  return out;
}

std::string protocol_names(std::string_view last_joiner) {
  const auto& all = protocols();
  std::string s;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (i > 0) s += i + 1 == all.size() ? std::string(last_joiner) : std::string(", ");
    s += all[i]->name;
  }
  return s;
}

std::uint64_t registry_generation() { return registry().generation(); }

}  // namespace coherence::protocol
