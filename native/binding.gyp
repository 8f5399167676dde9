{
  # geostream QUIC addon: Node-API over ngtcp2 0.12 (linked statically) and GnuTLS.
  # Static ngtcp2 so a Raspberry Pi needs only libgnutls30 at run time.
  # ngtcp2_libdir / ngtcp2_incdir: the archives and headers scripts/ngtcp2-build.sh makes
  # (Debian's ngtcp2 source plus native/patches/) for the target.
  "variables": {
    "ngtcp2_libdir%": "/usr/lib/x86_64-linux-gnu",
    "ngtcp2_incdir%": "/usr/include",
    "sanitize%": "0"
  },
  "targets": [
    {
      "target_name": "geostream_quic",
      # The core (no N-API; also linked into the ASan test program by mk/native.mk) and the JS glue.
      "sources": [
        "src/callbacks.cc", "src/conn.cc", "src/path.cc", "src/retry.cc", "src/send.cc", "src/stateless.cc",
        "src/streams.cc", "src/timers.cc", "src/tls.cc", "src/util.cc",
        "src/addon.cc", "src/js_connection.cc", "src/js_constants.cc", "src/js_context.cc",
        "src/js_marshal.cc", "src/js_options.cc", "src/js_packets.cc", "src/js_values.cc",
        "src/stderr_shim.c"
      ],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter", "-fexceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "defines": ["NAPI_VERSION=8"],
      "include_dirs": ["<(ngtcp2_incdir)"],
      "libraries": [
        "-L<(ngtcp2_libdir)",
        "-l:libngtcp2_crypto_gnutls.a",
        "-l:libngtcp2.a",
        "-lgnutls"
      ],
      # Debian builds the archives as PIE, not PIC: hiding their symbols inside the
      # addon lets the linker resolve the PC-relative references at link time.
      "ldflags": ["-Wl,--exclude-libs,ALL"],
      "conditions": [
        ["sanitize=='1'", {
          "cflags_cc": ["-fsanitize=address", "-fno-omit-frame-pointer", "-g", "-O1"],
          "ldflags": ["-fsanitize=address"]
        }]
      ]
    }
  ]
}
