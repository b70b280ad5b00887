# The header-only C++17 wrapper include/tosupload.hpp: its example and test, built with
# -Wall -Wextra -Wpedantic -Werror (and ASan+UBSan under TOSUPLOAD_SANITIZE), run against
# the local server like every C program. Included from the end of CMakeLists.txt.
set(TOS_CXX_WARNINGS -Wall -Wextra -Wpedantic -Werror)

function(tos_cxx_program name source)
  add_executable(${name} ${source})
  target_link_libraries(${name} PRIVATE tosupload Threads::Threads)
  set_target_properties(${name} PROPERTIES CXX_STANDARD 17 CXX_STANDARD_REQUIRED ON CXX_EXTENSIONS OFF)
  target_compile_options(${name} PRIVATE ${TOS_CXX_WARNINGS} ${TOS_SANITIZE_FLAGS})
  target_link_options(${name} PRIVATE ${TOS_SANITIZE_FLAGS})
endfunction()

tos_cxx_program(upload_file_cpp examples-cpp/upload_file.cpp)
tos_server_test(example_cpp_upload_file $<TARGET_FILE:upload_file_cpp>)

tos_cxx_program(test_cpp_wrapper tests/cpp/test_cpp_wrapper.cpp)
tos_server_test(cpp_test_wrapper $<TARGET_FILE:test_cpp_wrapper>)

tos_cxx_program(test_cpp_stream_uploads tests/cpp/test_cpp_stream_uploads.cpp)
tos_server_test(cpp_test_stream_uploads $<TARGET_FILE:test_cpp_stream_uploads>)

tos_cxx_program(test_cpp_credentials tests/cpp/test_cpp_credentials.cpp)
tos_server_test(cpp_test_credentials $<TARGET_FILE:test_cpp_credentials>)

tos_cxx_program(test_cpp_download tests/cpp/test_cpp_download.cpp)
tos_server_test(cpp_test_download $<TARGET_FILE:test_cpp_download>)

tos_cxx_program(test_cpp_download_dir tests/cpp/test_cpp_download_dir.cpp)
tos_server_test(cpp_test_download_dir $<TARGET_FILE:test_cpp_download_dir>)

tos_cxx_program(test_cpp_part_faults tests/cpp/test_cpp_part_faults.cpp)
tos_server_test(cpp_test_part_faults $<TARGET_FILE:test_cpp_part_faults>)

# The wrapper header alone, as C++17, warnings as errors.
add_test(NAME cpp_header_compiles_cxx17
  COMMAND ${CMAKE_CXX_COMPILER} -std=c++17 -Wall -Wextra -Wpedantic -Werror -fsyntax-only
          -I${CMAKE_SOURCE_DIR}/include -x c++ ${CMAKE_SOURCE_DIR}/include/tosupload.hpp)
