# WAMR's CMake build fetches the `simde` headers from GitHub with
# FetchContent. Builds here are offline: point FetchContent at Debian's
# libsimde-dev headers instead, when they are installed.
if(EXISTS "/usr/include/simde")
  set(FETCHCONTENT_SOURCE_DIR_SIMDE "/usr/include" CACHE PATH "simde headers" FORCE)
endif()
