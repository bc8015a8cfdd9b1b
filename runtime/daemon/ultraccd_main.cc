// ultraccd: the daemon of one emulated node. Serves the NodeDaemon and Store gRPC services, runs
// the node's ranks and its collective engine. Prints "ultraccd listening on HOST:PORT" once ready.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "runtime/bootstrap/kv_store.h"
#include "runtime/bootstrap/store_service.h"
#include "runtime/config.h"
#include "runtime/daemon/control_service.h"
#include "runtime/log.h"

namespace {

// Signals are taken synchronously by the main thread; every other thread has them blocked.
sigset_t BlockTerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return set;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ultraccd: node daemon of an emulated Trainium-class cluster"};
  std::string listen = "127.0.0.1:0";
  app.add_option("--listen", listen, "control endpoint HOST:PORT (port 0: pick a free one)");
  CLI11_PARSE(app, argc, argv);

  sigset_t signals = BlockTerminationSignals();
  absl::StatusOr<ultracc::Config> config = ultracc::Config::FromEnvironment();
  if (!config.ok()) {
    std::cerr << "ultraccd: " << config.status().message() << "\n";
    return 2;
  }
  ultracc::SetLogLevel(config->log_level);
  if (config->job_token.empty()) {
    std::cerr << "ultraccd: set ULTRACC_JOB_TOKEN to the job's secret token; every control call "
                 "must carry it\n";
    return 2;
  }

  ultracc::bootstrap::KvStore kv;
  ultracc::bootstrap::StoreService store_service(&kv, config->job_token);
  ultracc::daemon::ControlService control_service(config->job_token);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&store_service);
  builder.RegisterService(&control_service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    std::cerr << "ultraccd: cannot listen on " << listen << "\n";
    return 1;
  }
  std::string host = listen.substr(0, listen.rfind(':'));
  std::cout << "ultraccd listening on " << host << ":" << port << std::endl;

  int stop_signal = 0;
  while (true) {
    if (control_service.AwaitShutdownRequest(absl::Now() + absl::Milliseconds(100))) break;
    timespec poll = {0, 0};
    int sig = sigtimedwait(&signals, nullptr, &poll);
    if (sig > 0) {
      stop_signal = sig;
      break;
    }
  }
  ultracc::LogInfo(stop_signal ? absl::StrCat("stopping on signal ", stop_signal)
                               : std::string("stopping on request"));
  control_service.StopJob(control_service.shutdown_grace());
  kv.Close();
  // The job is stopped and the store closed, so no call is still doing work; the deadline only
  // bounds the wait for clients to drop their connections, which an idle gRPC client (such as
  // the launcher's) does not do: every exit would otherwise take the whole deadline.
  server->Shutdown(absl::ToChronoTime(absl::Now() + absl::Milliseconds(250)));
  return 0;
}
