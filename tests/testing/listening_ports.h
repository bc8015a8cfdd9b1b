// The TCP ports a process listens on, read from /proc: the fault tests aim garbage at a daemon's
// control and data listeners without being told where they are.
#pragma once

#include <sys/types.h>

#include <vector>

namespace ultracc::testing {

// Ports of the IPv4 and IPv6 TCP sockets in state LISTEN that `pid` holds open; empty if none or
// the process is gone.
std::vector<int> ListeningTcpPorts(pid_t pid);

}  // namespace ultracc::testing
