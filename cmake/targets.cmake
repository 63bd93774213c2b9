# Per-target build hygiene (never global CMAKE_CXX_FLAGS): warnings, sanitizers when asked, and
# what keeps the build short enough for CI to build twice (release and sanitizer trees).
#
# APPKEEPER_SANITIZE builds for finding bugs, not for stepping through code: ASan+UBSan at -O1 (the
# suite runs about 2x slower than release instead of 5x at -O0) with line tables only (what a
# sanitizer stack trace needs, a third cheaper to compile than full -g), and every UBSan finding
# aborts (-fno-sanitize-recover) so a test cannot pass over undefined behaviour.
#
# Compile time (measured per translation unit, CPU seconds; the backend dominates):
# - Test drivers (targets defined under tests/) compile at -O0: Catch2's expanded test bodies
#   cost half as much to compile that way, and the code under test keeps the tree's
#   optimisation because it lives in the libraries. In the sanitizer tree the Graph emulator
#   (test infrastructure there; the release tree keeps it optimised for bench/ and the demo)
#   does too: still fully checked, half the compile time.
# - Targets with several sources precompile nlohmann/json (and Catch2 for test drivers): 20-30%
#   off a TU that uses them. spdlog and Poco are left out on purpose: Poco is cheap and rare, and
#   a clang PCH holding spdlog makes every TU that does not use it several times slower.
# - Unity builds: each target's sources compile in batches of up to 8 as one translation unit,
#   so the templates they share (nlohmann/json, fmt, Poco, Catch2) are instantiated and
#   optimised once per batch instead of once per file. A clean release build went from 1,233 to
#   about 520 CPU seconds, which is what lets CI build and test both trees within its budget.
#   The price: names in a .cpp's anonymous namespace share a scope with the other files of its
#   batch, so they must be specific to their file (a clash is a compile error, never a silent
#   mix-up). APPKEEPER_UNITY=OFF builds file by file, e.g. to check a file's own includes.
option(APPKEEPER_PCH "Precompile nlohmann/json and Catch2 headers for multi-source targets" ON)
option(APPKEEPER_UNITY "Compile each target's sources in unity batches" ON)

function(appkeeper_target_options target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion)
  if(APPKEEPER_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(APPKEEPER_SANITIZE)
    target_compile_options(${target} PRIVATE
      -O1 $<IF:$<CXX_COMPILER_ID:Clang>,-gline-tables-only,-g1>
      -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()

  if(APPKEEPER_UNITY)
    set_target_properties(${target} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 8)
    # A pimpl's Impl holding a type from its .cpp's anonymous namespace is fine in a file of its
    # own; GCC only warns once that .cpp is #included into a unity batch.
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
      target_compile_options(${target} PRIVATE -Wno-subobject-linkage)
    endif()
  endif()

  get_target_property(source_dir ${target} SOURCE_DIR)
  string(FIND "${source_dir}/" "${PROJECT_SOURCE_DIR}/tests/" tests_at)
  string(FIND "${source_dir}/" "${PROJECT_SOURCE_DIR}/emulator/" emulator_at)
  set(test_driver OFF)
  if(tests_at EQUAL 0)
    set(test_driver ON)
  endif()
  if(test_driver OR (APPKEEPER_SANITIZE AND emulator_at EQUAL 0))
    target_compile_options(${target} PRIVATE -O0)  # after the -O above, so it wins
  endif()

  get_target_property(sources ${target} SOURCES)
  list(LENGTH sources source_count)
  if(APPKEEPER_PCH AND source_count GREATER 2)
    set(headers <nlohmann/json.hpp>)
    if(test_driver)
      list(APPEND headers <catch2/catch.hpp>)
    endif()
    target_precompile_headers(${target} PRIVATE ${headers})
  endif()
endfunction()

# appkeeper_fuzz_instrument(lib...): libFuzzer's coverage instrumentation for the libraries a fuzz
# target links (fuzz/CMakeLists.txt), so the fuzzer sees which branches of the parsers an input
# reached. Only those libraries: the rest of the tree keeps its plain sanitizer flags.
function(appkeeper_fuzz_instrument)
  foreach(lib ${ARGN})
    target_compile_options(${lib} PRIVATE -fsanitize=fuzzer-no-link)
  endforeach()
endfunction()
