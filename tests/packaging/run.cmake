# ctest driver for the packaging tests (cmake/install.cmake).
#   MODE=install       cmake --install into PREFIX, then check the files and links
#   MODE=pkgconfig     build consumer.c with `pkg-config --cflags --libs tosupload`, run it
#   MODE=find_package  build consumer.c in a CMake project using find_package(tosupload), run it
# Both consumers run against the local server (scripts/with_server.py).
cmake_minimum_required(VERSION 3.16)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "failed (${rc}): ${cmd}\n${out}\n${err}")
  endif()
  message(STATUS "${out}${err}")
  set(RUN_OUTPUT "${out}" PARENT_SCOPE)
endfunction()

set(consumer ${SRC}/tests/packaging/consumer.c)
set(with_server ${PYTHON} ${SRC}/scripts/with_server.py --)

if(MODE STREQUAL "install")
  file(REMOVE_RECURSE ${PREFIX})
  run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${PREFIX} --config ${BUILD_TYPE})
  set(lib ${PREFIX}/${LIBDIR})
  foreach(f ${lib}/libtosupload.so.${VERSION} ${PREFIX}/${INCLUDEDIR}/tosupload.h
            ${PREFIX}/${INCLUDEDIR}/tosupload.hpp ${lib}/pkgconfig/tosupload.pc
            ${lib}/cmake/tosupload/tosuploadConfig.cmake ${lib}/cmake/tosupload/tosuploadConfigVersion.cmake)
    if(NOT EXISTS ${f} OR IS_SYMLINK ${f})
      message(FATAL_ERROR "not installed as a file: ${f}")
    endif()
  endforeach()
  foreach(link_target "${SONAME}=libtosupload.so.${VERSION}" "libtosupload.so=${SONAME}")
    string(REPLACE "=" ";" pair "${link_target}")
    list(GET pair 0 name)
    list(GET pair 1 target)
    if(NOT IS_SYMLINK ${lib}/${name})
      message(FATAL_ERROR "${lib}/${name} is not a symlink")
    endif()
    file(READ_SYMLINK ${lib}/${name} got)
    if(NOT got STREQUAL target)
      message(FATAL_ERROR "${lib}/${name} -> ${got}, want ${target}")
    endif()
  endforeach()
  run(readelf -d ${lib}/libtosupload.so.${VERSION})
  string(REGEX MATCH "Library soname: \\[([^]]*)\\]" _ "${RUN_OUTPUT}")
  if(NOT CMAKE_MATCH_1 STREQUAL SONAME)
    message(FATAL_ERROR "installed library has the SONAME '${CMAKE_MATCH_1}', not ${SONAME}")
  endif()
  message(STATUS "installed into ${PREFIX}")

elseif(MODE STREQUAL "pkgconfig")
  find_program(PKG_CONFIG pkg-config)
  if(NOT PKG_CONFIG)
    message(FATAL_ERROR "pkg-config not found: run scripts/install_deps.sh")
  endif()
  set(ENV{PKG_CONFIG_PATH} ${PREFIX}/${LIBDIR}/pkgconfig)
  run(${PKG_CONFIG} --modversion tosupload)
  string(STRIP "${RUN_OUTPUT}" modversion)
  if(NOT modversion STREQUAL VERSION)
    message(FATAL_ERROR "pkg-config --modversion: ${modversion}, want ${VERSION}")
  endif()
  run(${PKG_CONFIG} --cflags --libs tosupload)
  string(STRIP "${RUN_OUTPUT}" flags)
  separate_arguments(flags UNIX_COMMAND "${flags}")
  run(${PKG_CONFIG} --variable=libdir tosupload)
  string(STRIP "${RUN_OUTPUT}" libdir)
  set(out ${WORK}/pkgconfig/consumer)
  file(MAKE_DIRECTORY ${WORK}/pkgconfig)
  # The run path from the libdir variable: the installed library, not the build tree's.
  run(${CC} -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror ${consumer} ${flags}
      -Wl,-rpath,${libdir} -o ${out})
  run(${with_server} ${out} pkgconfig)

elseif(MODE STREQUAL "find_package")
  set(bdir ${WORK}/find_package)
  file(REMOVE_RECURSE ${bdir})
  run(${CMAKE_COMMAND} -S ${SRC}/tests/packaging/find_package -B ${bdir}
      -DCMAKE_PREFIX_PATH=${PREFIX} -DCMAKE_C_COMPILER=${CC} -DCONSUMER_SOURCE=${consumer}
      -DCMAKE_C_FLAGS=-D_POSIX_C_SOURCE=200809L)
  run(${CMAKE_COMMAND} --build ${bdir})
  run(${with_server} ${bdir}/consumer find_package)

else()
  message(FATAL_ERROR "unknown MODE '${MODE}'")
endif()
