// The contents of an ultraccUniqueId, and the rendezvous server that the creating process hosts.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace ultracc::client {

struct UniqueIdFields {
  std::string store_address;  // "host:port" of the Store service in the creating process
  std::string token;          // the store's secret token
  std::string nonce;          // names this communicator's keys in the store
};

// Fits ULTRACC_UNIQUE_ID_BYTES bytes; InvalidArgument when the fields are too long.
absl::StatusOr<std::string> EncodeUniqueId(const UniqueIdFields& fields, size_t capacity);
// InvalidArgument naming what is malformed (e.g. an id that was never made by GetUniqueId).
absl::StatusOr<UniqueIdFields> DecodeUniqueId(const char* bytes, size_t capacity);

// Makes a new id, starting this process's rendezvous server on first use (on `bind_host`); the
// server lives as long as the process.
absl::StatusOr<UniqueIdFields> NewUniqueId(const std::string& bind_host);

}  // namespace ultracc::client
