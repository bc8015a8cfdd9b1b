// Listening TCP ports of a process; see listening_ports.h.
#include "tests/testing/listening_ports.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace ultracc::testing {
namespace {

// Inodes of the sockets among `pid`'s open descriptors ("socket:[12345]").
std::set<std::string> SocketInodes(pid_t pid) {
  std::set<std::string> inodes;
  std::error_code error;
  for (const auto& entry :
       std::filesystem::directory_iterator(absl::StrCat("/proc/", pid, "/fd"), error)) {
    std::string target = std::filesystem::read_symlink(entry.path(), error).string();
    if (target.rfind("socket:[", 0) == 0 && target.back() == ']') {
      inodes.insert(target.substr(8, target.size() - 9));
    }
  }
  return inodes;
}

}  // namespace

std::vector<int> ListeningTcpPorts(pid_t pid) {
  constexpr char kListen[] = "0A";
  const std::set<std::string> inodes = SocketInodes(pid);
  std::vector<int> ports;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      std::istringstream fields(line);
      std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
      fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
          timeout >> inode;
      if (state != kListen || inodes.count(inode) == 0) continue;
      int port = 0;
      if (absl::SimpleHexAtoi(local.substr(local.find(':') + 1), &port)) ports.push_back(port);
    }
  }
  return ports;
}

}  // namespace ultracc::testing
