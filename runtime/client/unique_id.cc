// Unique ids and the in-process rendezvous server; see unique_id.h.
#include "runtime/client/unique_id.h"

#include <unistd.h>

#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "runtime/bootstrap/kv_store.h"
#include "runtime/bootstrap/store_service.h"
#include "runtime/control/token.h"

namespace ultracc::client {
namespace {

constexpr absl::string_view kMagic = "ultracc-id-1";

// The process's rendezvous server. Created on the first NewUniqueId and deliberately never
// destroyed: ranks of other processes may still be joining when this one exits its main().
struct RendezvousServer {
  std::string address;
  std::string token;
  bootstrap::KvStore store;
  std::unique_ptr<bootstrap::StoreService> service;
  std::unique_ptr<grpc::Server> server;
};

absl::Mutex g_server_mu;
RendezvousServer* g_server ABSL_GUARDED_BY(g_server_mu) = nullptr;
uint64_t g_next_nonce ABSL_GUARDED_BY(g_server_mu) = 0;

absl::StatusOr<RendezvousServer*> StartServer(const std::string& bind_host) {
  auto server = std::make_unique<RendezvousServer>();
  server->token = control::NewToken();
  server->service = std::make_unique<bootstrap::StoreService>(&server->store, server->token);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(absl::StrCat(bind_host, ":0"), grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(server->service.get());
  server->server = builder.BuildAndStart();
  if (!server->server || port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot start the rendezvous server on ", bind_host,
                     " (ULTRACC_BOOTSTRAP_HOST)"));
  }
  server->address = absl::StrCat(bind_host, ":", port);
  return server.release();
}

}  // namespace

absl::StatusOr<std::string> EncodeUniqueId(const UniqueIdFields& fields, size_t capacity) {
  std::string text =
      absl::StrCat(kMagic, "|", fields.store_address, "|", fields.token, "|", fields.nonce);
  if (text.size() >= capacity) {
    return absl::InvalidArgumentError(absl::StrCat("unique id needs ", text.size() + 1,
                                                   " bytes, only ", capacity, " available"));
  }
  text.resize(capacity, '\0');
  return text;
}

absl::StatusOr<UniqueIdFields> DecodeUniqueId(const char* bytes, size_t capacity) {
  std::string text(bytes, strnlen(bytes, capacity));
  std::vector<std::string> parts = absl::StrSplit(text, '|');
  if (parts.size() != 4 || parts[0] != kMagic || parts[1].empty() || parts[2].empty()) {
    return absl::InvalidArgumentError(
        "unique_id is not one made by ultraccGetUniqueId (wrong format or uninitialised)");
  }
  return UniqueIdFields{parts[1], parts[2], parts[3]};
}

absl::StatusOr<UniqueIdFields> NewUniqueId(const std::string& bind_host) {
  absl::MutexLock lock(&g_server_mu);
  if (g_server == nullptr) {
    absl::StatusOr<RendezvousServer*> server = StartServer(bind_host);
    if (!server.ok()) return server.status();
    g_server = *server;
  }
  // The nonce is unique per process (pid) and per id, so ids never collide in one store.
  std::string nonce = absl::StrCat(getpid(), "-", ++g_next_nonce, "-", control::NewToken().substr(0, 8));
  return UniqueIdFields{g_server->address, g_server->token, nonce};
}

}  // namespace ultracc::client
