# Tests of the install: the prefix holds what users build against, and programs built with
# pkg-config or find_package(ultracc) run under the installed launcher.
add_test(NAME InstallConsumerTest
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/install/install_consumer_test.sh ${PROJECT_BINARY_DIR}
                 ${PROJECT_SOURCE_DIR})
set_tests_properties(InstallConsumerTest PROPERTIES TIMEOUT 600 RUN_SERIAL TRUE LABELS multiprocess)
