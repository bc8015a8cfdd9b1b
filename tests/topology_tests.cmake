# Tests of the topology model (runtime/topology), the cost model over it (collectives/tuner) and
# `ultracc topo`. All are quick: no job is launched.
foreach(name spec_text_test spec_validation_test presets_test topology_test)
  ultracc_add_test(${name} SOURCES ${name}.cc LIBS ultracc_topology TIMEOUT 30)
endforeach()

ultracc_add_test(cost_model_test SOURCES cost_model_test.cc LIBS ultracc_tuner TIMEOUT 30)
ultracc_add_test(ring_order_test SOURCES ring_order_test.cc LIBS ultracc_tuner TIMEOUT 60)

ultracc_add_test(topo_command_test SOURCES topo_command_test.cc LIBS ultracc_test_processes
                 TIMEOUT 60)
target_compile_definitions(topo_command_test PRIVATE ULTRACC_LAUNCHER="$<TARGET_FILE:ultracc_cli>"
                           ULTRACC_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
add_dependencies(topo_command_test ultracc_cli)

ultracc_add_test(topology_chooser_test SOURCES topology_chooser_test.cc LIBS ultracc_tuner
                 TIMEOUT 30)
