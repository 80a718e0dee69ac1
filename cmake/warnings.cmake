# SPDX-License-Identifier: Apache-2.0
# Warning flags from STYLE.md, applied per target.
function(mcsec_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wshadow -Wstrict-prototypes -Wconversion -Wsign-conversion
    -Wmissing-prototypes -Wvla -Wformat=2 -fno-common)
  if(MCSEC_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

if(MCSEC_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

if(MCSEC_LIBFUZZER)
  if(NOT CMAKE_C_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "MCSEC_LIBFUZZER needs clang (CC=clang)")
  endif()
  add_compile_options(-fsanitize=address,undefined,fuzzer-no-link -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
