# Tests of runtime/: the daemon's token check, and the multi-process tier that runs real jobs
# through `ultracc launch` (daemon mode) and as separately started processes (embedded mode).
# Each test case has a CTest timeout; each wait inside has its own, shorter deadline.

# Starting processes with deadlines, and checking what a job leaves on the host.
add_library(ultracc_test_processes STATIC testing/subprocess.cc testing/job_footprint.cc
  testing/listening_ports.cc)
target_include_directories(ultracc_test_processes PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(ultracc_test_processes PUBLIC absl::status absl::statusor absl::strings
  absl::synchronization absl::time Threads::Threads)

# Programs the tests run as ranks. allreduce_check uses the public C header and libultracc.so only.
add_executable(allreduce_check programs/allreduce_check.c)
target_link_libraries(allreduce_check PRIVATE ultracc)
add_executable(rank_probe programs/rank_probe.c)
add_executable(fault_rank programs/fault_rank.c)
target_link_libraries(fault_rank PRIVATE ultracc)

# Per-communicator settings through the public C API (libultracc.so), ranks as threads.
ultracc_add_test(comm_config_test SOURCES comm_config_test.cc LIBS ultracc absl::time TIMEOUT 120)
ultracc_add_test(comm_abort_test SOURCES comm_abort_test.cc LIBS ultracc absl::time TIMEOUT 60)
ultracc_add_test(block_cache_test SOURCES block_cache_test.cc LIBS ultracc_client TIMEOUT 60)
# The one-node call board (runtime/submission/node_board.h) and the collectives ranks run on it.
ultracc_add_test(node_board_test SOURCES node_board_test.cc LIBS ultracc_runtime_core TIMEOUT 60)
ultracc_add_test(board_collectives_test SOURCES board_collectives_test.cc LIBS ultracc_client
                 TIMEOUT 60)
ultracc_add_test(arena_collectives_test SOURCES arena_collectives_test.cc LIBS ultracc_client
                 TIMEOUT 60)

ultracc_add_test(daemon_token_test SOURCES daemon_token_test.cc
                 LIBS ultracc_test_processes ultracc_runtime_core TIMEOUT 60 LABELS multiprocess)
target_compile_definitions(daemon_token_test PRIVATE
  ULTRACC_DAEMON_BINARY="$<TARGET_FILE:ultraccd>")
add_dependencies(daemon_token_test ultraccd)

# Jobs of up to 8 ranks and 8 daemons. Those that only check results may share the cores with
# another test (a job's deadline is several times what it takes alone); those that time how fast a
# job stops run one at a time.
foreach(name launch_test launch_exit_test)
  if(name STREQUAL "launch_exit_test")
    set(serial RUN_SERIAL)
  else()
    set(serial)
  endif()
  ultracc_add_test(${name} SOURCES ${name}.cc testing/launch_fixture.cc
                   LIBS ultracc_test_processes TIMEOUT 150 LABELS multiprocess ${serial})
  target_compile_definitions(${name} PRIVATE
    ULTRACC_LAUNCHER="$<TARGET_FILE:ultracc_cli>"
    ULTRACC_ALLREDUCE_CHECK="$<TARGET_FILE:allreduce_check>"
    ULTRACC_RANK_PROBE="$<TARGET_FILE:rank_probe>")
  add_dependencies(${name} ultracc_cli ultraccd allreduce_check rank_probe)
endforeach()

# Three or four processes each, and the peer-loss cases mostly wait: they may share the cores.
ultracc_add_test(embedded_test SOURCES embedded_test.cc LIBS ultracc_test_processes TIMEOUT 120
                 LABELS multiprocess)
target_compile_definitions(embedded_test PRIVATE
  ULTRACC_ALLREDUCE_CHECK="$<TARGET_FILE:allreduce_check>")
add_dependencies(embedded_test allreduce_check)

ultracc_add_test(point_to_point_router_test SOURCES point_to_point_router_test.cc
                 LIBS ultracc_daemon ultracc_transport_inproc TIMEOUT 60)

ultracc_add_test(info_test SOURCES info_test.cc LIBS ultracc_test_processes TIMEOUT 120
                 LABELS multiprocess)
target_compile_definitions(info_test PRIVATE ULTRACC_LAUNCHER="$<TARGET_FILE:ultracc_cli>")
add_dependencies(info_test ultracc_cli ultraccd)

ultracc_add_test(config_test SOURCES config_test.cc LIBS ultracc_runtime_core TIMEOUT 30)

# Fault tests: stalled ranks, mismatched calls, a killed daemon, garbage at the listeners. Short
# ULTRACC_TIMEOUT_MS values inside keep each case to a few seconds.
ultracc_add_test(fault_embedded_test SOURCES fault_embedded_test.cc LIBS ultracc_test_processes
                 TIMEOUT 60 LABELS multiprocess)
target_compile_definitions(fault_embedded_test PRIVATE
  ULTRACC_FAULT_RANK="$<TARGET_FILE:fault_rank>")
add_dependencies(fault_embedded_test fault_rank)
ultracc_add_test(fault_launch_test SOURCES fault_launch_test.cc testing/launch_fixture.cc
                 LIBS ultracc_test_processes TIMEOUT 60 LABELS multiprocess RUN_SERIAL)
target_compile_definitions(fault_launch_test PRIVATE
  ULTRACC_LAUNCHER="$<TARGET_FILE:ultracc_cli>"
  ULTRACC_FAULT_RANK="$<TARGET_FILE:fault_rank>")
add_dependencies(fault_launch_test ultracc_cli ultraccd fault_rank)

# `ultracc status` against a job with a rank that is behind.
ultracc_add_test(status_test SOURCES status_test.cc testing/launch_fixture.cc
                 LIBS ultracc_test_processes TIMEOUT 60 LABELS multiprocess RUN_SERIAL)
target_compile_definitions(status_test PRIVATE
  ULTRACC_LAUNCHER="$<TARGET_FILE:ultracc_cli>"
  ULTRACC_FAULT_RANK="$<TARGET_FILE:fault_rank>")
add_dependencies(status_test ultracc_cli ultraccd fault_rank)

# What both modes share (runtime/engine/): call signatures, the call agreement, timeout reports.
foreach(name call_signature_test call_agreement_test timeout_report_test)
  ultracc_add_test(${name} SOURCES ${name}.cc LIBS ultracc_runtime_core ultracc_transport_inproc
                   TIMEOUT 60)
endforeach()

ultracc_add_test(launch_request_test SOURCES launch_request_test.cc LIBS ultracc_daemon TIMEOUT 30)
ultracc_add_test(host_share_test SOURCES host_share_test.cc LIBS ultracc_daemon TIMEOUT 30)

ultracc_add_test(engine_chooser_test SOURCES engine_chooser_test.cc LIBS ultracc_runtime_core
                 TIMEOUT 30)

# A few short jobs of up to 8 ranks: one at a time, like the other launch tests.
ultracc_add_test(launch_topology_test SOURCES launch_topology_test.cc testing/launch_fixture.cc
                 LIBS ultracc_test_processes TIMEOUT 120 LABELS multiprocess RUN_SERIAL)
target_compile_definitions(launch_topology_test PRIVATE
  ULTRACC_LAUNCHER="$<TARGET_FILE:ultracc_cli>" ULTRACC_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
add_dependencies(launch_topology_test ultracc_cli ultraccd)
