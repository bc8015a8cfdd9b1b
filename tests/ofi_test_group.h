// Helpers for ofi transport tests: a connected group of members as threads of this process, and
// byte patterns that reveal misdelivered or corrupted messages.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/byte_pattern.h"
#include "transport/ofi/ofi_fabric.h"
#include "transport/ofi/ofi_transport.h"

namespace ultracc::transport::ofi {

using ::ultracc::testing_support::Pattern;

inline absl::Time Deadline() { return absl::Now() + absl::Seconds(60); }

using Group = std::vector<std::unique_ptr<OfiTransport>>;

// Whether fi_getinfo offers `provider` here; otherwise the reason, for GTEST_SKIP.
inline std::string Unavailable(const std::string& provider) {
  absl::StatusOr<FiInfoPtr> info = SelectProvider(provider);
  return info.ok() ? "" : std::string(info.status().message());
}

inline OfiOptions MemberOptions(const std::string& provider, int rank, int size) {
  OfiOptions options;
  options.provider = provider;
  options.rank = rank;
  options.size = size;
  options.heartbeat_interval = absl::Milliseconds(100);
  options.peer_timeout = absl::Seconds(2);
  return options;
}

// Opens and connects `size` members; empty after reporting a failure.
inline Group ConnectGroup(const std::string& provider, int size, OfiOptions base = {}) {
  Group group;
  std::vector<std::string> addresses;
  for (int r = 0; r < size; ++r) {
    OfiOptions options = base;
    options.provider = provider;
    options.rank = r;
    options.size = size;
    if (options.peer_timeout == OfiOptions().peer_timeout) options.peer_timeout = absl::Seconds(2);
    auto member = OfiTransport::Open(options);
    if (!member.ok()) {
      ADD_FAILURE() << "rank " << r << ": " << member.status();
      return {};
    }
    addresses.push_back((*member)->address());
    group.push_back(*std::move(member));
  }
  std::vector<absl::Status> results(size);
  std::vector<std::thread> threads;
  for (int r = 0; r < size; ++r) {
    threads.emplace_back([&, r] { results[r] = group[r]->Connect(addresses, Deadline()); });
  }
  for (auto& thread : threads) thread.join();
  for (int r = 0; r < size; ++r) {
    if (!results[r].ok()) {
      ADD_FAILURE() << "rank " << r << ": " << results[r];
      return {};
    }
  }
  return group;
}

// Index of the first differing byte, or -1; avoids printing megabytes on failure.
inline ptrdiff_t FirstDifference(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  if (a.size() != b.size()) return 0;
  auto mismatch = std::mismatch(a.begin(), a.end(), b.begin());
  return mismatch.first == a.end() ? -1 : mismatch.first - a.begin();
}

}  // namespace ultracc::transport::ofi
