// SPDX-License-Identifier: Apache-2.0
// Sanitizer defaults for the processes that load GLib (the helper and its tests). GLib allocates a
// buffer in its library constructor and keeps it for the life of the process (libglib-2.0 2.74,
// Debian 12); LeakSanitizer reports it from _dl_init. Only constructor-time allocations match the
// suppression, and the full unwind is what lets the report reach that frame. OpenSSL keeps a random
// generator and an error queue per thread (DTLS runs on GStreamer's threads) that it frees when the
// thread ends, which threads still running at exit never do; the helper itself never calls OpenSSL,
// so every allocation from libcrypto is such per-thread state. Unused without ASan.

extern "C" const char* __asan_default_options() {
    return "fast_unwind_on_malloc=0";
}

extern "C" const char* __lsan_default_suppressions() {
    return "leak:_dl_init\nleak:libcrypto.so.3\n";
}
