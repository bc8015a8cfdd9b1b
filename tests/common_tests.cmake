# Tests of common/.
ultracc_add_test(completion_test SOURCES completion_test.cc LIBS ultracc_common)
