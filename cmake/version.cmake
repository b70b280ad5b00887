# The library's version and SONAME for the CMake side. Cargo.toml is the one place the version
# is written; build.rs gives the library its SONAME from the same version's major, and the
# abi_check test (tests/abi/check_abi.py) checks that the two agree.
#
# `cargo pkgid` rather than reading Cargo.toml: it finds the package by name wherever it
# lives in the workspace and resolves `version.workspace = true`.
# Sets TOSUPLOAD_VERSION (1.2.0), TOSUPLOAD_VERSION_MAJOR (1),
# TOSUPLOAD_SONAME (libtosupload.so.1) and TOSUPLOAD_REAL_NAME (libtosupload.so.1.2.0).
execute_process(
  COMMAND ${CARGO} pkgid --quiet tosupload
  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
  OUTPUT_VARIABLE _tos_pkgid OUTPUT_STRIP_TRAILING_WHITESPACE
  ERROR_VARIABLE _tos_pkgid_err
  RESULT_VARIABLE _tos_pkgid_rc)
# A package id ends in #NAME@VERSION, or #VERSION when the directory has the package's name.
if(NOT _tos_pkgid_rc EQUAL 0 OR NOT _tos_pkgid MATCHES "[#@](([0-9]+)\\.[0-9]+\\.[0-9]+[^#@]*)$")
  message(FATAL_ERROR "cannot read the version of the tosupload package (cargo pkgid): ${_tos_pkgid}${_tos_pkgid_err}")
endif()
set(TOSUPLOAD_VERSION "${CMAKE_MATCH_1}")
# The ABI major is the crate's major version as it stands, also while it is 0: every 0.x
# shares libtosupload.so.0, as build.rs (CARGO_PKG_VERSION_MAJOR) has it.
set(TOSUPLOAD_VERSION_MAJOR "${CMAKE_MATCH_2}")
set(TOSUPLOAD_SONAME "libtosupload.so.${TOSUPLOAD_VERSION_MAJOR}")
set(TOSUPLOAD_REAL_NAME "libtosupload.so.${TOSUPLOAD_VERSION}")
# Re-read when the version may have changed.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/Cargo.toml)
unset(_tos_pkgid)
unset(_tos_pkgid_err)
unset(_tos_pkgid_rc)
