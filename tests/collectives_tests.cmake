# Tests of collectives/ and transport/inproc/.
set(ULTRACC_COLLECTIVES_TEST_LIBS ultracc_collectives ultracc_transport_inproc)
foreach(name datatype_test low_precision_test reduce_kernels_test schedule_test ring_test
             executor_test node_engine_test inproc_fabric_test)
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${name}.cc)
    ultracc_add_test(${name} SOURCES ${name}.cc LIBS ${ULTRACC_COLLECTIVES_TEST_LIBS} TIMEOUT 120)
  endif()
endforeach()
