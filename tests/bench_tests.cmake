# `ultracc bench` end to end: every collective over a 2-node x 2-chip job with checking, the
# table's columns and bandwidth factors, the JSON, CSV and SVG outputs, --compare, and flag errors;
# engine-only mode (--virtual-chips) and --topology's predicted column.
find_package(nlohmann_json 3 REQUIRED)
add_library(ultracc_test_bench_output STATIC testing/bench_output.cc)
target_include_directories(ultracc_test_bench_output PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(ultracc_test_bench_output PUBLIC ultracc_test_processes GTest::gtest)

ultracc_add_test(bench_test SOURCES bench_test.cc
                 LIBS ultracc_test_bench_output ultracc_bench_program nlohmann_json::nlohmann_json
                 TIMEOUT 120 LABELS multiprocess RUN_SERIAL)
target_compile_definitions(bench_test PRIVATE
  ULTRACC_LAUNCHER="$<TARGET_FILE:ultracc_cli>"
  ULTRACC_ALLREDUCE_PERF="$<TARGET_FILE:ultracc_allreduce_perf>")
add_dependencies(bench_test ultracc_cli ultraccd ultracc_perf ultracc_allreduce_perf)

# Engine-only runs are one process of threads: they share the cores with other tests.
ultracc_add_test(bench_virtual_test SOURCES bench_virtual_test.cc
                 LIBS ultracc_test_bench_output ultracc_tuner TIMEOUT 120)
target_compile_definitions(bench_virtual_test PRIVATE ULTRACC_LAUNCHER="$<TARGET_FILE:ultracc_cli>"
  ULTRACC_SMALL_CLUSTER="${PROJECT_SOURCE_DIR}/tools/topo/examples/small-cluster.textproto")
add_dependencies(bench_virtual_test ultracc_cli)
