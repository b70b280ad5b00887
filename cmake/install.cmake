# `cmake --install`: the library with its SONAME and development links (without debug
# info outside Debug), tosput in bin/, the C and C++ headers, a pkg-config file and a CMake package (find_package(tosupload) gives the imported
# target tosupload::tosupload). Both the .pc file and the CMake package are relocatable, so
# `cmake --install build --prefix ANYWHERE` works. Plus ctest tests that install into a
# prefix under the build directory and build and run one C program against it through each.
# Included from the end of CMakeLists.txt.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# TOSUPLOAD_VERSION, TOSUPLOAD_SONAME and TOSUPLOAD_REAL_NAME come from cmake/version.cmake.

# Staged under build/install-stage so the links install as links.
#
# Outside Debug the staged library has no debug info: the release profile keeps line tables
# (debug = 1 in Cargo.toml, for backtraces and profiling of the build tree), which make the
# .so about six times its stripped size. They are split off with objcopy rather than dropped
# from the cargo profile, because a profile change recompiles every dependency and the
# debug file still lets gdb and perf symbolize a crash of the installed library: it goes to
# lib/.debug/ (where gdb looks for a .gnu_debuglink) only with `--component debug`.
# `cmake --install --strip` has nothing left to do for the library; it strips tosput, which
# has no debug info in Release anyway.
set(_stage "${CMAKE_BINARY_DIR}/install-stage")
set(_staged "${_stage}/${TOSUPLOAD_REAL_NAME}")
set(_debug_name "${TOSUPLOAD_REAL_NAME}.debug")
# Made now: the staging command runs in it.
file(MAKE_DIRECTORY ${_stage})
if(CMAKE_BUILD_TYPE STREQUAL "Debug")
  set(_stage_lib_commands COMMAND ${CMAKE_COMMAND} -E copy_if_different ${TOSUPLOAD_SO} ${_staged})
  set(_stage_debug "")
else()
  if(NOT CMAKE_OBJCOPY)
    message(FATAL_ERROR "objcopy not found (binutils): needed to split the debug info off the installed library")
  endif()
  set(_stage_debug "${_stage}/${_debug_name}")
  # The debuglink is added from the stage directory so it records the bare file name.
  set(_stage_lib_commands
    COMMAND ${CMAKE_OBJCOPY} --only-keep-debug ${TOSUPLOAD_SO} ${_stage_debug}
    COMMAND ${CMAKE_OBJCOPY} --strip-unneeded ${TOSUPLOAD_SO} ${_staged}.tmp
    COMMAND ${CMAKE_OBJCOPY} --add-gnu-debuglink=${_debug_name} ${_staged}.tmp
    COMMAND ${CMAKE_COMMAND} -E rename ${_staged}.tmp ${_staged})
endif()
add_custom_command(OUTPUT ${_staged} ${_stage_debug}
  ${_stage_lib_commands}
  DEPENDS ${TOSUPLOAD_SO}
  WORKING_DIRECTORY ${_stage}
  COMMENT "staging libtosupload ${TOSUPLOAD_VERSION} for install (${CMAKE_BUILD_TYPE})")
add_custom_target(tosupload_install_stage ALL
  COMMAND ${CMAKE_COMMAND} -E create_symlink ${TOSUPLOAD_REAL_NAME} ${_stage}/${TOSUPLOAD_SONAME}
  COMMAND ${CMAKE_COMMAND} -E create_symlink ${TOSUPLOAD_SONAME} ${_stage}/libtosupload.so
  DEPENDS ${_staged}
  BYPRODUCTS ${_stage}/${TOSUPLOAD_SONAME} ${_stage}/libtosupload.so)
add_dependencies(tosupload_install_stage tosupload_cargo)

install(PROGRAMS ${_staged} DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${_stage}/${TOSUPLOAD_SONAME} ${_stage}/libtosupload.so DESTINATION ${CMAKE_INSTALL_LIBDIR})
if(_stage_debug)
  install(FILES ${_stage_debug} DESTINATION ${CMAKE_INSTALL_LIBDIR}/.debug COMPONENT debug EXCLUDE_FROM_ALL)
endif()
install(FILES ${CMAKE_SOURCE_DIR}/include/tosupload.h ${CMAKE_SOURCE_DIR}/include/tosupload.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# tosput finds the library beside its bin/ wherever the prefix is; CMake replaces the build
# tree's run path with this one on install.
file(RELATIVE_PATH _bin_to_lib "/root/${CMAKE_INSTALL_BINDIR}" "/root/${CMAKE_INSTALL_LIBDIR}")
set_target_properties(tosput PROPERTIES INSTALL_RPATH "$ORIGIN/${_bin_to_lib}")
install(TARGETS tosput RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# pkg-config: prefix found from the .pc file's own place.
set(_pc_dir "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
file(RELATIVE_PATH TOSUPLOAD_PC_TO_PREFIX "/root/${_pc_dir}" "/root")
string(REGEX REPLACE "/$" "" TOSUPLOAD_PC_TO_PREFIX "${TOSUPLOAD_PC_TO_PREFIX}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/tosupload.pc.in ${CMAKE_BINARY_DIR}/tosupload.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/tosupload.pc DESTINATION ${_pc_dir})

# CMake package: prefix found from the config file's own place.
set(_cmake_dir "${CMAKE_INSTALL_LIBDIR}/cmake/tosupload")
file(RELATIVE_PATH TOSUPLOAD_CMAKE_TO_PREFIX "/root/${_cmake_dir}" "/root")
string(REGEX REPLACE "/$" "" TOSUPLOAD_CMAKE_TO_PREFIX "${TOSUPLOAD_CMAKE_TO_PREFIX}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/tosuploadConfig.cmake.in ${CMAKE_BINARY_DIR}/tosuploadConfig.cmake @ONLY)
# The SONAME carries the ABI major version, so any version with the same major is compatible.
write_basic_package_version_file(${CMAKE_BINARY_DIR}/tosuploadConfigVersion.cmake
  VERSION ${TOSUPLOAD_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_BINARY_DIR}/tosuploadConfig.cmake ${CMAKE_BINARY_DIR}/tosuploadConfigVersion.cmake
  DESTINATION ${_cmake_dir})

# --- tests: install into a prefix under the build dir, build consumers out of tree ----------
# Not under sanitizers or valgrind: the consumers are plain programs built by their own
# (pkg-config / find_package) flags, so one run, in the non-sanitized builds, is enough.
if(NOT TOSUPLOAD_SANITIZE)
  set(_pkg_work "${CMAKE_BINARY_DIR}/packaging-test")
  set(_pkg_prefix "${_pkg_work}/prefix")
  set(_pkg_args -DPREFIX=${_pkg_prefix} -DWORK=${_pkg_work} -DSRC=${CMAKE_SOURCE_DIR}
                -DBUILD_DIR=${CMAKE_BINARY_DIR} -DLIBDIR=${CMAKE_INSTALL_LIBDIR}
                -DINCLUDEDIR=${CMAKE_INSTALL_INCLUDEDIR} -DBINDIR=${CMAKE_INSTALL_BINDIR}
                -DVERSION=${TOSUPLOAD_VERSION}
                -DSONAME=${TOSUPLOAD_SONAME}
                -DCC=${CMAKE_C_COMPILER} -DPYTHON=${Python3_EXECUTABLE}
                -DBUILD_TYPE=${CMAKE_BUILD_TYPE})
  add_test(NAME package_install
    COMMAND ${CMAKE_COMMAND} ${_pkg_args} -DMODE=install -P ${CMAKE_SOURCE_DIR}/tests/packaging/run.cmake)
  set_tests_properties(package_install PROPERTIES FIXTURES_SETUP tosupload_installed TIMEOUT 300)
  foreach(_mode pkgconfig find_package)
    add_test(NAME package_${_mode}
      COMMAND ${CMAKE_COMMAND} ${_pkg_args} -DMODE=${_mode} -P ${CMAKE_SOURCE_DIR}/tests/packaging/run.cmake)
    set_tests_properties(package_${_mode} PROPERTIES FIXTURES_REQUIRED tosupload_installed
      ENVIRONMENT "TOS_LOCAL_SERVER_BIN=${TOS_SERVER_BIN}" TIMEOUT 600)
  endforeach()
endif()
