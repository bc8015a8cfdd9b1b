# Tests of collectives/ and transport/inproc/.
set(ULTRACC_COLLECTIVES_TEST_LIBS ultracc_collectives ultracc_transport_inproc)
foreach(name datatype_test low_precision_test reduce_kernels_test narrow_kernels_test
             schedule_test ring_test executor_test node_engine_test inproc_fabric_test
             schedule_simulator_test ring_reduce_scatter_test ring_all_gather_test
             halving_doubling_test binomial_tree_test tree_all_reduce_test pairwise_all_to_all_test
             bruck_all_to_all_test direct_test hierarchical_test dissemination_barrier_test
             algorithm_test algorithm_chooser_test collective_schedule_test
             node_engine_reduction_test node_engine_movement_test
             node_engine_large_test)
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${name}.cc)
    ultracc_add_test(${name} SOURCES ${name}.cc LIBS ${ULTRACC_COLLECTIVES_TEST_LIBS} TIMEOUT 120)
  endif()
endforeach()
